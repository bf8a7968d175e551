/**
 * The bench's sections, each on fresh processes: the A/B of the webhook against the baseline, the
 * calibration of the ratio, the class-cache scaling, and start-up with idle memory.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startClassCluster } from '../testkit/class-cluster.ts';
import { postHttp1 } from '../testkit/clients.ts';
import { cpuTimeMs, rssOf, stopProcess, waitReady, type ServerProcess } from '../testkit/processes.ts';
import { median, mib, startBaseline, startBenchWebhook, warmUp, type Context } from './context.ts';
import { measure, preflight, REVIEW_PATH, scrape, type Role, type RunRecord, type RunSpec } from './measure.ts';
import { isLarge, scenarioNamed, volumeSnapshotUpdate, type Scenario } from './reviews.ts';
import { runProfiles } from './profile.ts';

export interface AbOptions {
  readonly rounds: number;
  readonly durationSeconds: number;
  /** 0: no HTTP/2 section. */
  readonly h2Rounds: number;
  readonly h2DurationSeconds: number;
}

export interface AbResult {
  readonly runs: RunRecord[];
  readonly preflightChecks: number;
  readonly idleRssBytes: Readonly<Record<Role, number>>;
}

const SHAPES = [
  { label: '1 connection', connections: 1, streams: 1 },
  { label: '50 connections', connections: 50, streams: 1 },
  // What kube-apiserver does: one connection carrying many reviews at once (HTTP/2 only).
  { label: '1 connection × 50 streams', connections: 1, streams: 50 },
];

/**
 * Every (round, scenario, shape) of a protocol, in running order: the large object after all rounds of the
 * others (the RSS it leaves behind would count as theirs), and never 50 streams of it on one connection
 * (64 KiB flow-control windows: longer than a run). h2load sends one body, so HTTP/2 has no mix.
 */
function specsOf(context: Context, protocol: RunSpec['protocol'], rounds: number): Omit<RunSpec, 'role' | 'server' | 'durationSeconds'>[] {
  const shapes = SHAPES.filter((shape) => protocol === 'http2' || shape.streams === 1);
  const scenarios = context.scenarios.filter((scenario) => protocol === 'http1' || scenario.reviews.length === 1);
  const specs = (selected: readonly Scenario[], shapesOf: typeof shapes) =>
    Array.from({ length: rounds }, (_, index) => index + 1).flatMap((round) =>
      selected.flatMap((scenario) => shapesOf.map((shape) => ({ protocol, scenario, shape, round }))),
    );
  const small = specs(
    scenarios.filter((scenario) => !isLarge(scenario)),
    shapes,
  );
  return [
    ...small,
    ...specs(
      scenarios.filter(isLarge),
      shapes.filter((shape) => shape.streams === 1),
    ),
  ];
}

function describe(run: RunRecord): string {
  const { load } = run;
  return (
    `[${run.protocol} round ${run.round}] ${run.scenario}, ${run.shape}, ${run.role}: ${Math.round(load.requestsPerSecond)} req/s, ` +
    `p50 ${load.latencyMs.p50.toFixed(2)} p99 ${load.latencyMs.p99.toFixed(2)} ms, ${run.cpuUsPerRequest.toFixed(0)} µs CPU/req ${run.verified ? 'ok' : 'NOT VERIFIED'}`
  );
}

/** Each (scenario, shape) on both servers back to back, which goes first alternating, over HTTP/1.1 then HTTP/2. */
export async function runAb(context: Context, kubeconfig: string, options: AbOptions): Promise<AbResult> {
  const webhook = await startBenchWebhook(context, kubeconfig);
  const baseline = await startBaseline(context).catch(async (error: unknown) => {
    await stopProcess(webhook);
    throw error;
  });
  const servers = { webhook, baseline };
  try {
    await waitReady(servers.webhook);
    const idleRssBytes = { webhook: rssOf(servers.webhook.pid), baseline: rssOf(servers.baseline.pid) };
    const small = context.scenarios.filter((scenario) => !isLarge(scenario));
    let preflightChecks = 0;
    for (const role of ['webhook', 'baseline'] as const)
      preflightChecks += await preflight(servers[role], context.certificates.caCert, small, role);
    context.log(`preflight: ${preflightChecks} answers checked over HTTP/1.1 and HTTP/2; warming up`);
    for (const server of [servers.webhook, servers.baseline]) await warmUp(context, server);
    const specs = [
      ...specsOf(context, 'http1', options.rounds).map((spec) => ({ ...spec, durationSeconds: options.durationSeconds })),
      ...specsOf(context, 'http2', options.h2Rounds).map((spec) => ({ ...spec, durationSeconds: options.h2DurationSeconds })),
    ];
    const runs: RunRecord[] = [];
    for (const [index, spec] of specs.entries()) {
      for (const role of index % 2 === 0 ? (['webhook', 'baseline'] as const) : (['baseline', 'webhook'] as const)) {
        runs.push(await measure(context.generator, { ...spec, role, server: servers[role] }));
        context.log(describe(runs.at(-1) as RunRecord));
      }
    }
    return { runs, preflightChecks, idleRssBytes };
  } finally {
    await Promise.all([stopProcess(servers.webhook), stopProcess(servers.baseline)]);
  }
}

export interface CalibrationPoint {
  readonly spinUs: number;
  readonly requestsPerSecond: number;
  readonly cpuUsPerRequest: number;
  /** Median over the rounds of this server's req/s ÷ the plain baseline's in the same round. */
  readonly ratio: number;
}

const SPIN_US = [0, 10, 25, 50];

/** The baseline against itself with fixed busy CPU added per request, the mix at 50 connections, rounds in alternating order. */
export async function runCalibration(context: Context, rounds: number, durationSeconds: number): Promise<CalibrationPoint[]> {
  const servers: ServerProcess[] = [];
  const bodies = scenarioNamed(context.scenarios, 'mix').reviews.map((review) => review.body);
  const sample = async (server: ServerProcess, seconds: number) => {
    const before = cpuTimeMs(server.pid);
    const url = `https://127.0.0.1:${server.admissionPort}${REVIEW_PATH}`;
    const result = await context.generator.run({ url, connections: 50, durationSeconds: seconds, bodies });
    return {
      requestsPerSecond: result.requestsPerSecond,
      cpuUsPerRequest: ((cpuTimeMs(server.pid) - before) * 1000) / Math.max(1, result.requests),
    };
  };
  try {
    for (const spinUs of SPIN_US) servers.push(await startBaseline(context, spinUs));
    for (const server of servers) await sample(server, 1);
    const samples = servers.map(() => [] as Awaited<ReturnType<typeof sample>>[]);
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? [...servers.keys()] : [...servers.keys()].reverse();
      for (const index of order) samples[index]?.push(await sample(servers[index] as ServerProcess, durationSeconds));
    }
    const points = SPIN_US.map((spinUs, index) => {
      const mine = samples[index] ?? [];
      return {
        spinUs,
        requestsPerSecond: median(mine.map((entry) => entry.requestsPerSecond)),
        cpuUsPerRequest: median(mine.map((entry) => entry.cpuUsPerRequest)),
        ratio: median(mine.map((entry, round) => entry.requestsPerSecond / (samples[0]?.[round]?.requestsPerSecond ?? Number.NaN))),
      };
    });
    context.log(`[calibration] ${points.map((point) => `+${point.spinUs} µs: ${point.ratio.toFixed(2)} ×`).join(', ')}`);
    return points;
  } finally {
    await Promise.all(servers.map((server) => stopProcess(server)));
  }
}

export interface ScalingPoint {
  readonly classes: number;
  readonly cacheSize: number;
  /** From spawning `node dist/main.js` to its "serving" line, and to /readyz answering 200. */
  readonly servingMs: number;
  readonly readyMs: number;
  /** From the last LIST of classes reaching the API server to /readyz answering 200. */
  readonly readyAfterListMs: number;
  /** A second after ready, before any review. */
  readonly idleRssBytes: number;
  /** The second-default review at 1 connection (the cache lookups), the mix at 50 connections. */
  readonly loads: readonly RunRecord[];
}

/** Long enough at one connection for a p99 of about a hundred decisions. */
const DECISION_SECONDS = 3;

/** For each class count, a fresh webhook over a cluster holding that many VolumeSnapshotClasses. */
export async function runScaling(context: Context, classCounts: readonly number[], durationSeconds: number): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  for (const classes of classCounts) {
    const cluster = await startClassCluster(context.directory, classes);
    const webhook = await startBenchWebhook(context, cluster.kubeconfig, `webhook-${classes}-classes`);
    try {
      const readyAt = await waitReady(webhook);
      await sleep(1000);
      const idleRssBytes = rssOf(webhook.pid);
      const cacheSize = (await scrape(webhook)).snapshotClasses;
      await warmUp(context, webhook, ['mix']);
      const run = (name: string, shape: RunSpec['shape'], seconds: number) =>
        measure(context.generator, {
          protocol: 'http1',
          scenario: scenarioNamed(context.scenarios, name),
          shape,
          round: 1,
          role: 'webhook',
          server: webhook,
          durationSeconds: seconds,
        });
      const loads = [
        await run('class-second-default', SHAPES[0] as RunSpec['shape'], Math.max(durationSeconds, DECISION_SECONDS)),
        await run('mix', SHAPES[1] as RunSpec['shape'], durationSeconds),
      ];
      const [servingMs, readyMs, readyAfterListMs] = [
        webhook.servingAt - webhook.spawnedAt,
        readyAt - webhook.spawnedAt,
        readyAt - cluster.lastClassListAt(),
      ];
      points.push({ classes, cacheSize, servingMs, readyMs, readyAfterListMs, idleRssBytes, loads });
      context.log(
        `[classes ${classes}] cache ${cacheSize}, ready ${readyMs} ms (${readyAfterListMs} ms after the last LIST), idle ${mib(idleRssBytes)} MiB`,
      );
    } finally {
      await stopProcess(webhook);
      await cluster.close();
    }
  }
  return points;
}

export interface StartupPoint {
  readonly setup: string;
  readonly runs: number;
  /** Medians over the runs, ms after spawn. */
  readonly readyMs: number;
  readonly firstReviewMs: number;
  /** Median resident memory 2 s after the first review. */
  readonly idleRssBytes: number;
}

async function startOnce(context: Context, kubeconfig: string, name: string, body: string) {
  const webhook = await startBenchWebhook(context, kubeconfig, name);
  try {
    const readyAt = await waitReady(webhook, 1);
    const reply = await postHttp1(`https://127.0.0.1:${webhook.admissionPort}${REVIEW_PATH}`, body, { ca: context.certificates.caCert });
    const answeredAt = Date.now();
    if (reply.status !== 200) throw new Error(`${name}: first review got HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
    // Lazy compilation and the first collections settle before the RSS is read.
    await sleep(2000);
    return { readyMs: readyAt - webhook.spawnedAt, firstReviewMs: answeredAt - webhook.spawnedAt, idleRssBytes: rssOf(webhook.pid) };
  } finally {
    await stopProcess(webhook);
  }
}

/** Fresh starts with no cluster, 100 classes and 10,000 classes: ready, first review, idle RSS. */
export async function runStartup(context: Context, runs: number): Promise<StartupPoint[]> {
  const { body } = volumeSnapshotUpdate();
  const points: StartupPoint[] = [];
  for (const classes of [0, 100, 10_000]) {
    const cluster = classes === 0 ? undefined : await startClassCluster(context.directory, classes);
    const setup = classes === 0 ? 'no cluster' : `${classes} classes`;
    try {
      const samples: Awaited<ReturnType<typeof startOnce>>[] = [];
      for (let run = 0; run < runs; run += 1)
        samples.push(await startOnce(context, cluster?.kubeconfig ?? '', `startup-${classes}-${run}`, body));
      const of = (key: keyof (typeof samples)[number]) => median(samples.map((sample) => sample[key]));
      points.push({ setup, runs, readyMs: of('readyMs'), firstReviewMs: of('firstReviewMs'), idleRssBytes: of('idleRssBytes') });
      context.log(
        `[startup ${setup}] ready ${of('readyMs')} ms, first review ${of('firstReviewMs')} ms, idle ${mib(of('idleRssBytes'))} MiB (medians of ${runs})`,
      );
    } finally {
      await cluster?.close();
    }
  }
  return points;
}

export interface Plan extends AbOptions {
  readonly sections: readonly string[];
  readonly classCounts: readonly number[];
  readonly quick: boolean;
}

/** The sections asked for, in order, on a cluster of 100 classes (the scaling and start-up make their own). */
export async function runSections(context: Context, plan: Plan) {
  const when = async <T>(section: string, fallback: T, run: () => Promise<T>): Promise<T> =>
    plan.sections.includes(section) ? run() : fallback;
  const cluster = await startClassCluster(context.directory, 100);
  try {
    const noAb: AbResult = { runs: [], preflightChecks: 0, idleRssBytes: { webhook: NaN, baseline: NaN } };
    return {
      ab: await when('ab', noAb, () => runAb(context, cluster.kubeconfig, plan)),
      profiles: await when('profile', [], () => runProfiles(context, cluster.kubeconfig, plan.quick ? 2 : 4)),
      calibration: await when('calibration', [], () => runCalibration(context, plan.rounds, plan.durationSeconds)),
      scaling: await when('scaling', [], () => runScaling(context, plan.classCounts, plan.durationSeconds)),
      startup: await when('startup', [], () => runStartup(context, plan.quick ? 3 : 7)),
    };
  } finally {
    await cluster.close();
  }
}

export type Measured = Awaited<ReturnType<typeof runSections>>;
