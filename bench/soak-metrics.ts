/**
 * What the soak reads off the webhook's /metrics (prom-client's process and Node.js metrics,
 * prefixed snapshot_webhook_), and how it sums a run up: memory at start and end with a fitted
 * slope and the noise around it, and the event-loop delay.
 */
export interface MetricsSample {
  /** Seconds since the webhook started serving. */
  readonly atSeconds: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** p99 of the event-loop delay since the previous scrape (prom-client resets it each scrape). */
  readonly eventLoopP99Seconds: number;
  /** The longest event-loop delay since the previous scrape. */
  readonly eventLoopMaxSeconds: number;
}

const PREFIX = 'snapshot_webhook_';

/** The value of an unlabelled (or first labelled) series in Prometheus text, or NaN. */
export function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((entry) => entry.startsWith(`${PREFIX}${name} `) || entry.startsWith(`${PREFIX}${name}{`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

export async function scrape(metricsUrl: string, atSeconds: number): Promise<MetricsSample> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) })).text();
  return {
    atSeconds,
    rssBytes: metricValue(text, 'process_resident_memory_bytes'),
    heapUsedBytes: metricValue(text, 'nodejs_heap_size_used_bytes'),
    eventLoopP99Seconds: metricValue(text, 'nodejs_eventloop_lag_p99_seconds'),
    eventLoopMaxSeconds: metricValue(text, 'nodejs_eventloop_lag_max_seconds'),
  };
}

export interface Trend {
  readonly startBytes: number;
  readonly endBytes: number;
  readonly maxBytes: number;
  /** Least-squares slope over the samples, bytes a minute. */
  readonly slopeBytesPerMinute: number;
  /** Standard deviation of the samples around the fitted line. */
  readonly noiseBytes: number;
  /** What the fitted growth over the run may reach and still count as noise: 3 σ, at least 5 MiB or 5 %. */
  readonly toleranceBytes: number;
  /** The fitted growth over the run is within the tolerance. */
  readonly flat: boolean;
}

const MIB = 1024 * 1024;

interface Fit {
  readonly slope: number;
  readonly noise: number;
}

/** Least squares: the slope (bytes a second) and the standard deviation around the line. */
function fit(points: ReadonlyArray<{ atSeconds: number; bytes: number }>): Fit {
  const n = points.length;
  const meanX = points.reduce((sum, point) => sum + point.atSeconds, 0) / n;
  const meanY = points.reduce((sum, point) => sum + point.bytes, 0) / n;
  const sxx = points.reduce((sum, point) => sum + (point.atSeconds - meanX) ** 2, 0);
  const sxy = points.reduce((sum, point) => sum + (point.atSeconds - meanX) * (point.bytes - meanY), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const squares = points.reduce((sum, point) => sum + (point.bytes - (meanY + slope * (point.atSeconds - meanX))) ** 2, 0);
  return { slope, noise: Math.sqrt(squares / Math.max(1, n - 2)) };
}

export function trend(points: ReadonlyArray<{ atSeconds: number; bytes: number }>): Trend {
  const { slope, noise } = fit(points);
  const first = points[0];
  const last = points.at(-1);
  const startBytes = first?.bytes ?? Number.NaN;
  const growth = slope * ((last?.atSeconds ?? 0) - (first?.atSeconds ?? 0));
  const toleranceBytes = Math.max(3 * noise, 5 * MIB, 0.05 * startBytes);
  return {
    startBytes,
    endBytes: last?.bytes ?? Number.NaN,
    maxBytes: Math.max(...points.map((point) => point.bytes)),
    slopeBytesPerMinute: slope * 60,
    noiseBytes: noise,
    toleranceBytes,
    flat: growth <= toleranceBytes,
  };
}
