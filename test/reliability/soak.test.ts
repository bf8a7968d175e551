import { describe, expect, it } from 'vitest';
import { runSoak, soakErrors } from '../../reliability/soak.ts';

/**
 * The soak's short version, so that `npm run soak` (two minutes against dist/main.js)
 * keeps working: a few seconds of the same mix against the sources, the same report.
 */
describe('the soak, in short', () => {
  it('sends the steady mix, reads RSS and the event-loop delay off /metrics, and finds no error', async () => {
    const report = await runSoak({ seconds: 4, rate: 200, entry: 'src/main.ts', sampleEveryMs: 1_000, warmupSeconds: 1 });
    expect(soakErrors(report)).toEqual([]);
    expect(report.traffic.ok).toBe(report.traffic.sent);
    expect(report.traffic.sent).toBeGreaterThan(600);
    expect(report.samples.length).toBeGreaterThanOrEqual(4);
    expect(report.rss.startBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(report.rss.endBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(report.eventLoopP99Seconds.max).toBeGreaterThan(0);
    expect(report.exitCode).toBe(0);
  });
});
