/**
 * One measured run: one load generator against one server for one scenario, with what the
 * server spent (CPU, RSS) and — for the webhook — what it says it did (/metrics).
 */
import { H2LOAD_MISSING_NOTE, runH2load, type HttpLoadGenerator, type LoadResult } from './load.ts';
import { decisionTime, difference, scrape, type DecisionTime, type Histogram, type MetricsSnapshot } from './metrics.ts';
import { REVIEW_PATH } from './preflight.ts';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertAlive, cpuTimeMs, machineTicks, RssSampler, stealSince, type ServerProcess } from './processes.ts';
import type { Scenario } from './scenarios.ts';

export type Protocol = 'http1' | 'http2';
export type Role = 'webhook' | 'baseline';

/** How the load is shaped: connections, and (HTTP/2 only) streams in flight on each. */
export interface Shape {
  readonly label: string;
  readonly connections: number;
  readonly streams: number;
}

export const HTTP1_SHAPES: readonly Shape[] = [
  { label: '1 connection', connections: 1, streams: 1 },
  { label: '50 connections', connections: 50, streams: 1 },
];

/** As HTTP/1.1, plus what kube-apiserver does: one connection carrying many reviews at once. */
export const HTTP2_SHAPES: readonly Shape[] = [...HTTP1_SHAPES, { label: '1 connection × 50 streams', connections: 1, streams: 50 }];

export interface RunSpec {
  readonly protocol: Protocol;
  readonly scenario: Scenario;
  readonly shape: Shape;
  readonly round: number;
  readonly role: Role;
  readonly server: ServerProcess;
  readonly durationSeconds: number;
}

export interface RunRecord {
  readonly protocol: Protocol;
  readonly scenario: string;
  readonly shape: string;
  readonly round: number;
  readonly role: Role;
  readonly load: LoadResult;
  /** Server CPU (all threads, user + system) per answered request, µs. */
  readonly cpuUsPerRequest: number;
  readonly peakRssBytes: number;
  /** Noise: CPU time the hypervisor gave to others (steal), and the load average, during the run. */
  readonly stealPercent: number;
  readonly loadAverage: number;
  /** Webhook only: the decision histogram of this run, and what its counters say it answered. */
  readonly decisionHistogram?: Histogram;
  readonly decision?: DecisionTime;
  readonly serverReviews?: Readonly<Record<string, number>>;
  readonly serverBadRequests?: number;
  /** Every answer was a 200 and, for the webhook, denied as often as the scenario's reviews say. */
  readonly verified: boolean;
}

export interface RunnerContext {
  readonly http: HttpLoadGenerator;
}

function url(server: ServerProcess): string {
  return `https://127.0.0.1:${server.admissionPort}${REVIEW_PATH}`;
}

function drive(context: RunnerContext, spec: RunSpec): Promise<LoadResult> {
  if (spec.protocol === 'http1') {
    const bodies = spec.scenario.reviews.map((review) => review.body);
    return context.http.run({ url: url(spec.server), connections: spec.shape.connections, durationSeconds: spec.durationSeconds, bodies });
  }
  const [review, ...rest] = spec.scenario.reviews;
  if (review === undefined || rest.length > 0) throw new Error(`h2load sends one body: scenario ${spec.scenario.name} has several`);
  return runH2load({
    url: url(spec.server),
    connections: spec.shape.connections,
    streams: spec.shape.streams,
    durationSeconds: spec.durationSeconds,
    body: review.body,
  });
}

/** The share of the scenario's reviews the webhook must deny. */
export function expectedDeniedShare(scenario: Scenario): number {
  return scenario.reviews.filter((review) => review.expect === 'denied').length / scenario.reviews.length;
}

/**
 * Requests cut off when the load stops: answered but not counted by the client. A load generator
 * whose time is up closes its connections (HTTP/1.1) or resets its streams (HTTP/2) while bodies
 * are still being sent, and the webhook counts such a half-received body as SVW_ERR_BODY_NOT_JSON:
 * at most one a request in flight.
 */
function inFlightAtEnd(spec: RunSpec): number {
  return spec.shape.connections * spec.shape.streams;
}

/** Time for the server to finish with the requests cut off at the end, so they count in this run. */
function settleMs(spec: RunSpec): number {
  const largest = Math.max(...spec.scenario.reviews.map((review) => review.body.length));
  return largest > 100_000 ? 1000 : 100;
}

function verify(spec: RunSpec, load: LoadResult, metrics: MetricsSnapshot | undefined): boolean {
  const only200 = load.errors === 0 && Object.keys(load.statuses).every((status) => status === '200');
  if (metrics === undefined) return only200 && load.requests > 0;
  const answered = Object.values(metrics.reviewsByDecision).reduce((sum, count) => sum + count, 0);
  const denied = metrics.reviewsByDecision.denied ?? 0;
  const deniedShareOk = answered > 0 && Math.abs(denied / answered - expectedDeniedShare(spec.scenario)) <= 0.02;
  return only200 && metrics.badRequests <= inFlightAtEnd(spec) && deniedShareOk && answered >= load.requests;
}

export async function measure(context: RunnerContext, spec: RunSpec): Promise<RunRecord> {
  const isWebhook = spec.role === 'webhook';
  const before = isWebhook ? await scrape(spec.server.metricsPort) : undefined;
  const cpuBefore = cpuTimeMs(spec.server.pid);
  const machineBefore = machineTicks();
  const rss = new RssSampler(spec.server.pid);
  const load = await drive(context, spec);
  await sleep(settleMs(spec));
  assertAlive(spec.server);
  const peakRssBytes = rss.stop();
  const cpuMs = cpuTimeMs(spec.server.pid) - cpuBefore;
  const stealPercent = stealSince(machineBefore);
  const metrics = before === undefined ? undefined : difference(await scrape(spec.server.metricsPort), before);
  return {
    protocol: spec.protocol,
    scenario: spec.scenario.name,
    shape: spec.shape.label,
    round: spec.round,
    role: spec.role,
    load,
    cpuUsPerRequest: load.requests === 0 ? 0 : (cpuMs * 1000) / load.requests,
    peakRssBytes,
    stealPercent,
    loadAverage: loadavg()[0] ?? 0,
    ...(metrics === undefined
      ? {}
      : {
          decisionHistogram: metrics.decision,
          decision: decisionTime(metrics.decision),
          serverReviews: metrics.reviewsByDecision,
          serverBadRequests: metrics.badRequests,
        }),
    verified: verify(spec, load, metrics),
  };
}

export { H2LOAD_MISSING_NOTE };
