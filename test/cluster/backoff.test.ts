import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF, sleep } from '../../src/cluster/backoff.ts';

describe('Backoff', () => {
  it('starts small and doubles up to the cap', () => {
    const backoff = new Backoff({ initialMs: 200, maxMs: 3_000, jitter: 0.2 }, () => 0.5);

    expect(Array.from({ length: 6 }, () => backoff.next())).toEqual([200, 400, 800, 1600, 3000, 3000]);
  });

  it('moves each delay by at most the jitter fraction, never above the cap', () => {
    const low = new Backoff({ initialMs: 200, maxMs: 1_000, jitter: 0.2 }, () => 0);
    const high = new Backoff({ initialMs: 200, maxMs: 1_000, jitter: 0.2 }, () => 0.999_999);

    expect([low.next(), low.next(), low.next(), low.next()]).toEqual([160, 320, 640, 800]);
    expect([high.next(), high.next(), high.next(), high.next()]).toEqual([240, 480, 960, 1000]);
  });

  it('goes back to the first delay after reset', () => {
    const backoff = new Backoff(DEFAULT_BACKOFF, () => 0.5);
    backoff.next();
    backoff.next();
    backoff.reset();

    expect(backoff.next()).toBe(DEFAULT_BACKOFF.initialMs);
  });

  it('stays finite and capped after a very long outage', () => {
    const backoff = new Backoff(DEFAULT_BACKOFF, () => 0.5);
    let last = 0;
    for (let attempt = 0; attempt < 2_000; attempt += 1) {
      last = backoff.next();
    }

    expect(last).toBe(DEFAULT_BACKOFF.maxMs);
  });
});

describe('sleep', () => {
  it('resolves true after the delay', async () => {
    expect(await sleep(1, new AbortController().signal)).toBe(true);
  });

  it('resolves false as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const sleeping = sleep(60_000, controller.signal);
    controller.abort();

    expect(await sleeping).toBe(false);
  });
});
