/**
 * At most `perSecond` lines a second for one kind of log line: a client sending garbage as fast as
 * it can must not turn into gigabytes of log. The next line written says how many were dropped.
 */
export function logLimiter(perSecond: number, now: () => number = () => performance.now()): () => { log: boolean; suppressed: number } {
  let windowStart = now();
  let written = 0;
  let suppressed = 0;
  return () => {
    const time = now();
    if (time - windowStart >= 1_000) {
      windowStart = time;
      written = 0;
    }
    if (written >= perSecond) {
      suppressed += 1;
      return { log: false, suppressed };
    }
    written += 1;
    const dropped = suppressed;
    suppressed = 0;
    return { log: true, suppressed: dropped };
  };
}
