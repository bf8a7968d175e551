/**
 * From runs to figures: medians over the rounds, the webhook/baseline ratio of each round's A/B
 * pair (median of the rounds), decision-time quantiles from the summed histograms, and the targets.
 */
import type { LatencySummary } from './load.ts';
import { decisionTime, type DecisionTime, type Histogram } from './metrics.ts';
import type { Protocol, Role, RunRecord } from './runner.ts';
import { median, mib } from './statistics.ts';
import type { StartupPoint } from './startup.ts';

export function sumHistograms(histograms: readonly Histogram[]): Histogram {
  const [first] = histograms;
  if (first === undefined) return { bounds: [], counts: [] };
  return { bounds: first.bounds, counts: first.bounds.map((_, index) => histograms.reduce((sum, h) => sum + (h.counts[index] ?? 0), 0)) };
}

export interface Row {
  readonly protocol: Protocol;
  readonly scenario: string;
  readonly shape: string;
  readonly role: Role;
  readonly rounds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: Pick<LatencySummary, 'p50' | 'p99' | 'p999'>;
  readonly errors: number;
  readonly verified: boolean;
  readonly cpuUsPerRequest: number;
  readonly peakRssBytes: number;
  readonly stealPercent: number;
  readonly decision?: DecisionTime;
}

export interface Comparison {
  readonly protocol: Protocol;
  readonly scenario: string;
  readonly shape: string;
  /** Median over the rounds of webhook req/s ÷ baseline req/s, each round's pair run back to back. */
  readonly ratio: number;
  readonly ratios: readonly number[];
  readonly webhook: Row;
  readonly baseline: Row;
}

function rowOf(runs: readonly RunRecord[]): Row {
  const [first] = runs;
  if (first === undefined) throw new Error('no runs');
  const histograms = runs.flatMap((run) => (run.decisionHistogram === undefined ? [] : [run.decisionHistogram]));
  return {
    protocol: first.protocol,
    scenario: first.scenario,
    shape: first.shape,
    role: first.role,
    rounds: runs.length,
    requestsPerSecond: median(runs.map((run) => run.load.requestsPerSecond)),
    latencyMs: {
      p50: median(runs.map((run) => run.load.latencyMs.p50)),
      p99: median(runs.map((run) => run.load.latencyMs.p99)),
      p999: median(runs.map((run) => run.load.latencyMs.p999)),
    },
    errors: runs.reduce((sum, run) => sum + run.load.errors, 0),
    verified: runs.every((run) => run.verified),
    cpuUsPerRequest: median(runs.map((run) => run.cpuUsPerRequest)),
    peakRssBytes: Math.max(...runs.map((run) => run.peakRssBytes)),
    stealPercent: median(runs.map((run) => run.stealPercent)),
    ...(histograms.length > 0 ? { decision: decisionTime(sumHistograms(histograms)) } : {}),
  };
}

function keyOf(run: Pick<RunRecord, 'protocol' | 'scenario' | 'shape'>): string {
  return `${run.protocol}|${run.scenario}|${run.shape}`;
}

/** One comparison per (protocol, scenario, shape), in the order the runs were made. */
export function compare(runs: readonly RunRecord[]): Comparison[] {
  const groups = Map.groupBy(runs, keyOf);
  return [...groups.values()].map((group) => {
    const webhookRuns = group.filter((run) => run.role === 'webhook');
    const baselineRuns = group.filter((run) => run.role === 'baseline');
    const ratios = webhookRuns.flatMap((run) => {
      const pair = baselineRuns.find((candidate) => candidate.round === run.round);
      return pair === undefined || pair.load.requestsPerSecond === 0 ? [] : [run.load.requestsPerSecond / pair.load.requestsPerSecond];
    });
    const webhook = rowOf(webhookRuns);
    return {
      protocol: webhook.protocol,
      scenario: webhook.scenario,
      shape: webhook.shape,
      ratio: median(ratios),
      ratios,
      webhook,
      baseline: rowOf(baselineRuns),
    };
  });
}

export interface RssSummary {
  readonly role: Role;
  /** After start-up (the webhook: once ready), before any review. */
  readonly idleBytes: number;
  /** Highest sample during the runs before the first 1 MiB one (the small reviews over HTTP/1.1). */
  readonly smallReviewsBytes: number;
  /** Highest sample during the 1 MiB runs, which come last (V8 keeps what it grew). */
  readonly largeObjectBytes: number;
}

/** A server's RSS only grows over the section, so each figure says what it was serving by then. */
export function rssSummary(
  runs: readonly RunRecord[],
  idle: Readonly<Record<Role, number>>,
  largeScenarios: readonly string[],
): RssSummary[] {
  const firstLarge = runs.findIndex((run) => largeScenarios.includes(run.scenario));
  const before = firstLarge < 0 ? runs : runs.slice(0, firstLarge);
  return (['webhook', 'baseline'] as const).map((role) => {
    const highest = (selected: readonly RunRecord[]) =>
      Math.max(0, ...selected.filter((run) => run.role === role).map((run) => run.peakRssBytes));
    return { role, idleBytes: idle[role], smallReviewsBytes: highest(before), largeObjectBytes: highest(runs) };
  });
}

/** Every decision of every webhook run of the A/B section, whatever the kind. */
export function overallDecision(runs: readonly RunRecord[]): DecisionTime {
  return decisionTime(sumHistograms(runs.flatMap((run) => (run.decisionHistogram === undefined ? [] : [run.decisionHistogram]))));
}

export interface ScalingLoad {
  readonly scenario: string;
  readonly shape: string;
  readonly requestsPerSecond: number;
  readonly latencyMs: LatencySummary;
  readonly decision: DecisionTime;
  readonly cpuUsPerRequest: number;
  readonly peakRssBytes: number;
  readonly verified: boolean;
}

export interface ScalingPoint {
  readonly classes: number;
  readonly cacheSize: number;
  /** From spawning `node dist/main.js` to its "serving" log line, and to /readyz answering 200. */
  readonly servingMs: number;
  readonly readyMs: number;
  /** From the last LIST of classes reaching the API server to /readyz answering 200. */
  readonly readyAfterListMs: number;
  /** RSS a second after ready, before any review. */
  readonly idleRssBytes: number;
  readonly loads: readonly ScalingLoad[];
}

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

function find(comparisons: readonly Comparison[], protocol: Protocol, scenario: string, shape: string): Comparison | undefined {
  return comparisons.find((entry) => entry.protocol === protocol && entry.scenario === scenario && entry.shape === shape);
}

function throughputTarget(comparisons: readonly Comparison[]): Target {
  const mix = find(comparisons, 'http1', 'mix', '50 connections');
  // The 1 MiB object at 50 connections completes a request or two a connection in a run: see its own rows.
  const worst = comparisons
    .filter((entry) => entry.shape === '50 connections' && entry.scenario !== 'large-1mib')
    .sort((a, b) => a.ratio - b.ratio)[0];
  const measured =
    mix === undefined
      ? 'not run'
      : `${mix.ratio.toFixed(2)} × (mix, HTTP/1.1); lowest: ${worst?.ratio.toFixed(2)} × (${worst?.scenario}, ${worst?.protocol})`;
  return { name: 'throughput at 50 connections', target: '≥ 0.9 × baseline', measured, met: mix !== undefined && mix.ratio >= 0.9 };
}

function latencyTarget(comparisons: readonly Comparison[]): Target {
  const mix = find(comparisons, 'http1', 'mix', '1 connection');
  const h2 = find(comparisons, 'http2', 'vs-create', '1 connection');
  const p99 = mix?.webhook.latencyMs.p99;
  const measured = `${p99?.toFixed(2) ?? '–'} ms (mix, HTTP/1.1, autocannon); ${h2?.webhook.latencyMs.p99.toFixed(2) ?? '–'} ms (VS CREATE, HTTP/2, h2load); baseline ${mix?.baseline.latencyMs.p99.toFixed(2) ?? '–'} ms`;
  return { name: 'p99 latency at 1 connection', target: '≤ 1 ms', measured, met: p99 !== undefined && p99 <= 1 };
}

function decisionTarget(decision: DecisionTime): Target {
  const measured = `p99 ${(decision.p99 * 1000).toFixed(0)} µs, p50 ${(decision.p50 * 1000).toFixed(0)} µs; ${(decision.within100us * 100).toFixed(2)} % within 100 µs (${decision.count} decisions)`;
  return { name: 'decision time p99', target: '≤ 0.1 ms', measured, met: decision.within100us >= 0.99 };
}

const NO_DECISION: DecisionTime = { count: 0, p50: Number.NaN, p99: Number.NaN, within100us: 0 };

function flatTarget(scaling: readonly ScalingPoint[]): Target {
  const decision = (point: ScalingPoint | undefined) => point?.loads.find((load) => load.shape === '1 connection')?.decision ?? NO_DECISION;
  const first = decision(scaling[0]);
  const last = decision(scaling.at(-1));
  const measured = scaling
    .map(
      (point) => `${point.classes}: p50 ${(decision(point).p50 * 1000).toFixed(0)} µs, p99 ${(decision(point).p99 * 1000).toFixed(0)} µs`,
    )
    .join('; ');
  // Flat: the median with the largest cache within half again the smallest's (or 5 µs of it), and
  // every size within the 0.1 ms target. The p99 is read from buckets of 10, 25, 50 and 100 µs:
  // too coarse, and too sensitive to one pause, to compare sizes by.
  const met = last.p50 <= Math.max(first.p50 * 1.5, first.p50 + 0.005) && scaling.every((point) => decision(point).within100us >= 0.99);
  return {
    name: 'decision time flat from 1 to 10,000 classes',
    target: 'flat',
    measured: `second-default review, 1 connection: ${measured}`,
    met,
  };
}

const NO_STARTUP: StartupPoint = { setup: 'not run', runs: 0, readyMs: Number.NaN, firstReviewMs: Number.NaN, idleRssBytes: Number.NaN };

function startupPoint(startup: readonly StartupPoint[], setup: string): StartupPoint {
  return startup.find((point) => point.setup === setup) ?? NO_STARTUP;
}

function idleRssTarget(startup: readonly StartupPoint[]): Target {
  const bare = startupPoint(startup, 'no cluster');
  const full = startupPoint(startup, '10000 classes');
  const measured = `${mib(bare.idleRssBytes)} MiB with no cluster, ${mib(full.idleRssBytes)} MiB with 10,000 classes`;
  return {
    name: 'idle RSS (production build)',
    target: '≤ 80 MB with no cluster, ≤ 90 MB with 10,000 classes',
    measured,
    met: bare.idleRssBytes <= 80e6 && full.idleRssBytes <= 90e6,
  };
}

function peakRssTarget(runs: readonly RunRecord[]): Target {
  const peak = (protocol: Protocol) =>
    Math.max(0, ...runs.filter((run) => run.role === 'webhook' && run.protocol === protocol).map((run) => run.peakRssBytes));
  const [http1, http2] = [peak('http1'), peak('http2')];
  const measured = `HTTP/1.1 ${mib(http1)} MiB, HTTP/2 ${http2 === 0 ? 'not run' : `${mib(http2)} MiB`} (every A/B run, the 1 MiB object included)`;
  return { name: 'peak RSS under load', target: '≤ 150 MB', measured, met: Math.max(http1, http2) <= 150e6 };
}

function startTarget(startup: readonly StartupPoint[]): Target {
  const point = startupPoint(startup, '100 classes');
  const measured = `ready ${point.readyMs} ms, first review ${point.firstReviewMs} ms after spawn (100 classes, certificate files, a kubeconfig)`;
  return {
    name: 'start to ready, to first review',
    target: '≤ 300 ms, ≤ 350 ms',
    measured,
    met: point.readyMs <= 300 && point.firstReviewMs <= 350,
  };
}

function readyTarget(scaling: readonly ScalingPoint[]): Target {
  const worst = Math.max(...scaling.map((point) => point.readyAfterListMs));
  const measured = scaling.map((point) => `${point.classes}: ${point.readyAfterListMs} ms`).join(', ');
  return { name: 'ready after cache sync', target: '≤ 1 s', measured: `ready after the last LIST: ${measured}`, met: worst <= 1000 };
}

export interface TargetInputs {
  readonly comparisons: readonly Comparison[];
  readonly decision: DecisionTime;
  readonly scaling: readonly ScalingPoint[];
  readonly startup: readonly StartupPoint[];
  readonly runs: readonly RunRecord[];
}

export function targets(inputs: TargetInputs): Target[] {
  return [
    throughputTarget(inputs.comparisons),
    latencyTarget(inputs.comparisons),
    decisionTarget(inputs.decision),
    flatTarget(inputs.scaling),
    idleRssTarget(inputs.startup),
    peakRssTarget(inputs.runs),
    startTarget(inputs.startup),
    readyTarget(inputs.scaling),
  ];
}
