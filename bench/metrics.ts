/**
 * The webhook's own account of its work, from /metrics: the decision-time histogram
 * (snapshot_webhook_decision_duration_seconds) and the review counters, read before and after a
 * run so that the difference is the run's.
 */
import { httpGet } from './processes.ts';

const DECISION = 'snapshot_webhook_decision_duration_seconds';
const REVIEWS = 'snapshot_webhook_reviews_total';
const BAD_REQUESTS = 'snapshot_webhook_bad_requests_total';
const CACHE_SIZE = 'snapshot_webhook_class_cache_size';

/** Cumulative bucket counts by upper bound (seconds), +Inf last, summed over the kinds asked for. */
export interface Histogram {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
}

export interface MetricsSnapshot {
  readonly decision: Histogram;
  readonly reviewsByDecision: Readonly<Record<string, number>>;
  readonly badRequests: number;
  /** VolumeSnapshotClasses in the webhook's cache. */
  readonly snapshotClasses: number;
}

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? ([^ ]+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)) labels[pair[1] ?? ''] = pair[2] ?? '';
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

export function snapshotOf(text: string): MetricsSnapshot {
  const samples = parseSamples(text);
  const buckets = new Map<number, number>();
  for (const sample of samples.filter((entry) => entry.name === `${DECISION}_bucket`)) {
    const bound = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + sample.value);
  }
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const reviewsByDecision: Record<string, number> = {};
  for (const sample of samples.filter((entry) => entry.name === REVIEWS)) {
    const decision = sample.labels.decision ?? '';
    reviewsByDecision[decision] = (reviewsByDecision[decision] ?? 0) + sample.value;
  }
  const badRequests = samples.filter((entry) => entry.name === BAD_REQUESTS).reduce((sum, entry) => sum + entry.value, 0);
  const snapshotClasses = samples.find((entry) => entry.name === CACHE_SIZE && entry.labels.resource === 'snapshotClasses')?.value ?? 0;
  return { decision: { bounds, counts: bounds.map((bound) => buckets.get(bound) ?? 0) }, reviewsByDecision, badRequests, snapshotClasses };
}

export async function scrape(metricsPort: number): Promise<MetricsSnapshot> {
  const { status, body } = await httpGet(metricsPort, '/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}`);
  return snapshotOf(body);
}

/** What happened between two scrapes. */
export function difference(after: MetricsSnapshot, before: MetricsSnapshot): MetricsSnapshot {
  const reviewsByDecision: Record<string, number> = {};
  for (const [decision, count] of Object.entries(after.reviewsByDecision)) {
    reviewsByDecision[decision] = count - (before.reviewsByDecision[decision] ?? 0);
  }
  const counts = after.decision.counts.map((count, index) => count - (before.decision.counts[index] ?? 0));
  const badRequests = after.badRequests - before.badRequests;
  return { decision: { bounds: after.decision.bounds, counts }, reviewsByDecision, badRequests, snapshotClasses: after.snapshotClasses };
}

export interface DecisionTime {
  readonly count: number;
  /** Milliseconds, interpolated within a bucket as Prometheus' histogram_quantile does. */
  readonly p50: number;
  readonly p99: number;
  /** Share of decisions that took at most 0.1 ms (the 100 µs bucket): the target's own terms. */
  readonly within100us: number;
}

export function decisionTime(histogram: Histogram): DecisionTime {
  const total = histogram.counts.at(-1) ?? 0;
  const index100us = histogram.bounds.findIndex((bound) => Math.abs(bound - 0.0001) < 1e-12);
  return {
    count: total,
    p50: quantile(histogram, 0.5) * 1000,
    p99: quantile(histogram, 0.99) * 1000,
    within100us: total === 0 ? 0 : (histogram.counts[index100us] ?? 0) / total,
  };
}

export function quantile(histogram: Histogram, q: number): number {
  const { bounds, counts } = histogram;
  const rank = q * (counts.at(-1) ?? 0);
  const index = counts.findIndex((count) => count > 0 && count >= rank);
  if (index < 0) return 0;
  const upper = bounds[index] ?? 0;
  const lower = bounds[index - 1] ?? 0;
  if (upper === Number.POSITIVE_INFINITY) return lower;
  const below = counts[index - 1] ?? 0;
  return lower + ((upper - lower) * (rank - below)) / ((counts[index] ?? 0) - below);
}
