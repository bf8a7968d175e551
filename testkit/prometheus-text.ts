/**
 * Reads the webhook's /metrics (Prometheus text format) the one way the bench and the soak need:
 * a metric's samples summed by the value of one label.
 */

/** Sums of the samples of snapshot_webhook_`name`, by the value of `label` ('' for samples without it). */
export function samplesBy(text: string, name: string, label = ''): Map<string, number> {
  const sums = new Map<string, number>();
  for (const match of text.matchAll(new RegExp(`^snapshot_webhook_${name}(?:\\{(.*)\\})? (\\S+)$`, 'gm'))) {
    const key = label === '' ? '' : (new RegExp(`${label}="([^"]*)"`).exec(match[1] ?? '')?.[1] ?? '');
    sums.set(key, (sums.get(key) ?? 0) + Number(match[2]));
  }
  return sums;
}

/** The sum of all samples of snapshot_webhook_`name`; NaN when it is not there. */
export function sampleSum(text: string, name: string): number {
  const sums = [...samplesBy(text, name).values()];
  return sums.length === 0 ? Number.NaN : sums.reduce((total, value) => total + value, 0);
}
