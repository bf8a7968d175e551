import { setTimeout as delay } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long; the error says what was awaited. Default 10 s. */
  readonly timeoutMs?: number;
  /** How often to look. Default 10 ms. */
  readonly intervalMs?: number;
}

/**
 * Polls a condition until it holds, and returns how long that took; fails after timeoutMs with
 * the description. For waiting on something another part of the process does (a watch event, a
 * reconnect), without sleeping for a guessed time.
 */
export async function waitFor(description: string, condition: () => boolean, options: WaitOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    }
    await delay(options.intervalMs ?? 10);
  }
  return performance.now() - started;
}
