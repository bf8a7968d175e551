/**
 * One measured run: a load against one server for one scenario, with what the server spent (CPU,
 * peak RSS), the CPU the hypervisor stole meanwhile, and for the webhook what its /metrics say it
 * did: decisions by outcome, bad requests, and the decision-time histogram.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { http2Client, postHttp1, type ClientResponse } from '../testkit/clients.ts';
import { samplesBy, sampleSum } from '../testkit/prometheus-text.ts';
import { assertAlive, cpuTimeMs, httpGet, sampleRss, type ServerProcess } from '../testkit/processes.ts';
import type { LoadGenerator, LoadResult } from './load.ts';
import type { ReviewCase, Scenario } from './reviews.ts';

export const REVIEW_PATH = '/validate?timeout=3s';
export type Role = 'webhook' | 'baseline';

/** Cumulative decision counts by bucket upper bound (seconds, +Inf last). */
export interface Histogram {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
}

interface Metrics {
  readonly decision: Histogram;
  readonly reviews: Readonly<Record<string, number>>;
  readonly badRequests: number;
  readonly snapshotClasses: number;
}

export async function scrape(server: ServerProcess): Promise<Metrics> {
  const { body } = await httpGet(server.metricsPort, '/metrics');
  const buckets = [...samplesBy(body, 'decision_duration_seconds_bucket', 'le')].map(([le, count]) => [Number(le), count] as const);
  buckets.sort((a, b) => a[0] - b[0]);
  return {
    decision: { bounds: buckets.map(([bound]) => bound), counts: buckets.map(([, count]) => count) },
    reviews: Object.fromEntries(samplesBy(body, 'reviews_total', 'decision')),
    // No sample at all before the first bad request.
    badRequests: sampleSum(body, 'bad_requests_total') || 0,
    snapshotClasses: samplesBy(body, 'class_cache_size', 'resource').get('snapshotClasses') ?? 0,
  };
}

/** Bucket-wise sum (or, with sign -1, difference) of histograms with the same bounds. */
export function addHistograms(histograms: readonly Histogram[], sign: readonly number[] = []): Histogram {
  const bounds = histograms[0]?.bounds ?? [];
  const counts = bounds.map((_, index) => histograms.reduce((sum, h, which) => sum + (sign[which] ?? 1) * (h.counts[index] ?? 0), 0));
  return { bounds, counts };
}

/** Milliseconds at quantile q, interpolated within its bucket as Prometheus' histogram_quantile does. */
export function quantileMs(histogram: Histogram, q: number): number {
  const { bounds, counts } = histogram;
  const rank = q * (counts.at(-1) ?? 0);
  const index = counts.findIndex((count) => count > 0 && count >= rank);
  if (index < 0) return Number.NaN;
  const [lower, upper, below] = [bounds[index - 1] ?? 0, bounds[index] ?? 0, counts[index - 1] ?? 0];
  if (upper === Number.POSITIVE_INFINITY) return lower * 1000;
  return (lower + ((upper - lower) * (rank - below)) / ((counts[index] ?? 0) - below)) * 1000;
}

/** Share of the decisions within 0.1 ms: exact, since 100 µs is a bucket bound. */
export const within100us = (h: Histogram): number =>
  (h.counts[h.bounds.findIndex((bound) => Math.abs(bound - 0.0001) < 1e-12)] ?? 0) / Math.max(1, h.counts.at(-1) ?? 0);

/** All CPUs' ticks so far (/proc/stat), and those stolen by the hypervisor for other guests. */
function machineTicks(): { total: number; steal: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: fields.reduce((sum, value) => sum + value, 0), steal: fields[7] ?? 0 };
}

export interface RunSpec {
  readonly protocol: 'http1' | 'http2';
  readonly scenario: Scenario;
  readonly shape: { readonly label: string; readonly connections: number; readonly streams: number };
  readonly round: number;
  readonly role: Role;
  readonly server: ServerProcess;
  readonly durationSeconds: number;
}

export interface RunRecord {
  readonly protocol: RunSpec['protocol'];
  readonly scenario: string;
  readonly shape: string;
  readonly round: number;
  readonly role: Role;
  readonly load: LoadResult;
  /** Server CPU (all threads, user + system) per answered request, µs. */
  readonly cpuUsPerRequest: number;
  readonly peakRssBytes: number;
  readonly stealPercent: number;
  readonly loadAverage: number;
  /** Webhook only: this run's decision histogram. */
  readonly decision?: Histogram;
  /** Every answer a 200; for the webhook, as many denied as the scenario says, and no bad request but those cut at the end. */
  readonly verified: boolean;
}

function verify(spec: RunSpec, load: LoadResult, before: Metrics | undefined, after: Metrics | undefined): boolean {
  const only200 = load.errors === 0 && load.requests > 0 && Object.keys(load.statuses).every((status) => status === '200');
  if (before === undefined || after === undefined) return only200;
  const count = (metrics: Metrics, decision: string) => metrics.reviews[decision] ?? 0;
  const [allowed, denied] = ['allowed', 'denied'].map((decision) => count(after, decision) - count(before, decision)) as [number, number];
  const deniedShare = spec.scenario.reviews.filter((review) => review.expect === 'denied').length / spec.scenario.reviews.length;
  // A load generator whose time is up cuts the bodies in flight: at most one bad request per request in flight.
  const cutOff = spec.shape.connections * spec.shape.streams;
  const answered = allowed + denied;
  return (
    only200 &&
    after.badRequests - before.badRequests <= cutOff &&
    answered >= load.requests &&
    Math.abs(denied / answered - deniedShare) <= 0.02
  );
}

export async function measure(generator: LoadGenerator, spec: RunSpec): Promise<RunRecord> {
  const { server, shape, scenario } = spec;
  const isWebhook = spec.role === 'webhook';
  const before = isWebhook ? await scrape(server) : undefined;
  const [cpuBefore, ticksBefore, rss] = [cpuTimeMs(server.pid), machineTicks(), sampleRss(server.pid)];
  const url = `https://127.0.0.1:${server.admissionPort}${REVIEW_PATH}`;
  const streams = spec.protocol === 'http2' ? { streams: shape.streams } : {};
  const bodies = scenario.reviews.map((review) => review.body);
  const load = await generator.run({ url, connections: shape.connections, durationSeconds: spec.durationSeconds, bodies, ...streams });
  // Time for the server to finish the requests cut off at the end, so that they count in this run.
  await sleep(scenario.reviews.some((review) => review.body.length > 100_000) ? 1000 : 100);
  assertAlive(server);
  const peakRssBytes = rss.stop();
  const cpuMs = cpuTimeMs(server.pid) - cpuBefore;
  const ticks = machineTicks();
  const after = isWebhook ? await scrape(server) : undefined;
  return {
    ...{ protocol: spec.protocol, scenario: scenario.name, shape: shape.label, round: spec.round, role: spec.role, load },
    cpuUsPerRequest: (cpuMs * 1000) / Math.max(1, load.requests),
    peakRssBytes,
    stealPercent: (100 * (ticks.steal - ticksBefore.steal)) / Math.max(1, ticks.total - ticksBefore.total),
    loadAverage: loadavg()[0] ?? 0,
    ...(before && after ? { decision: addHistograms([after.decision, before.decision], [1, -1]) } : {}),
    verified: verify(spec, load, before, after),
  };
}

/**
 * Before any load, each review sent once over HTTP/1.1 and once over HTTP/2 by clients that verify
 * the certificate must get a 200 and its answer (the baseline allows everything): the bench never
 * measures 400s, a wrong route or a refused handshake. Returns the number of answers checked.
 */
export async function preflight(server: ServerProcess, ca: string, scenarios: readonly Scenario[], role: Role): Promise<number> {
  const origin = `https://127.0.0.1:${server.admissionPort}`;
  const http2 = http2Client(origin, ca);
  const reviews = scenarios.flatMap((scenario) => scenario.reviews);
  const check = (reply: ClientResponse, review: ReviewCase) => {
    const allowed = reply.status === 200 && (JSON.parse(reply.text) as { response?: { allowed?: boolean } }).response?.allowed;
    if (allowed !== (role === 'baseline' || review.expect === 'allowed'))
      throw new Error(`preflight, ${role}: ${review.title} over ${reply.alpn}: ${reply.status} ${reply.text.slice(0, 300)}`);
  };
  try {
    for (const review of reviews) {
      check(await postHttp1(`${origin}${REVIEW_PATH}`, review.body, { ca }), review);
      check(await http2.post(REVIEW_PATH, review.body), review);
    }
  } finally {
    http2.close();
  }
  return reviews.length * 2;
}
