/**
 * The A/B section: the webhook (100 classes in its cache) and the baseline, started side by side,
 * driven in turn by the same load generator with the same reviews — each (scenario, shape) pair
 * back to back, the order swapped every round — over HTTP/1.1 (autocannon) and HTTP/2 (h2load).
 */
import type { HttpLoadGenerator } from './load.ts';
import { preflight } from './preflight.ts';
import { memoryOf, startBaseline, startWebhook, stopProcess, waitReady, type CertificateFiles, type ServerProcess } from './processes.ts';
import { HTTP1_SHAPES, HTTP2_SHAPES, measure, type Protocol, type Role, type RunRecord, type Shape } from './runner.ts';
import type { Scenario } from './scenarios.ts';

export interface AbOptions {
  readonly rounds: number;
  readonly durationSeconds: number;
  readonly h2Rounds: number;
  readonly h2DurationSeconds: number;
  readonly h2: boolean;
  readonly warmupSeconds: number;
}

export interface AbSetup {
  readonly directory: string;
  readonly certificates: CertificateFiles;
  readonly kubeconfig: string;
  readonly scenarios: readonly Scenario[];
  readonly http: HttpLoadGenerator;
  readonly options: AbOptions;
  /** Node flags for the webhook process only (experiments: --max-semi-space-size=…). */
  readonly webhookNodeFlags: readonly string[];
  readonly log: (line: string) => void;
}

export interface AbResult {
  readonly runs: RunRecord[];
  readonly preflightChecks: number;
  readonly idleRssBytes: { readonly webhook: number; readonly baseline: number };
}

type Servers = Readonly<Record<Role, ServerProcess>>;

interface Section {
  readonly protocol: Protocol;
  readonly rounds: number;
  readonly durationSeconds: number;
  readonly shapes: readonly Shape[];
  readonly scenarios: readonly Scenario[];
}

function describe(run: RunRecord): string {
  const { load } = run;
  const decision = run.decision === undefined ? '' : ` decision p99 ${(run.decision.p99 * 1000).toFixed(0)} µs`;
  return (
    `[${run.protocol} round ${run.round}] ${run.scenario}, ${run.shape}, ${run.role}: ${Math.round(load.requestsPerSecond)} req/s, ` +
    `p50 ${load.latencyMs.p50.toFixed(2)} p99 ${load.latencyMs.p99.toFixed(2)} ms, ${run.cpuUsPerRequest.toFixed(0)} µs CPU/req,` +
    `${decision} ${run.verified ? 'ok' : 'NOT VERIFIED'}`
  );
}

const LARGE_BODY = 100_000;

export function isLarge(scenario: Scenario): boolean {
  return scenario.reviews.some((review) => review.body.length > LARGE_BODY);
}

/**
 * Every (round, scenario, shape) of a section, in the order they run: the large-object scenario
 * after all rounds of the others, since the RSS it leaves behind would otherwise be counted as
 * theirs. Over HTTP/2, 50 one-MiB uploads on one connection (flow control, 64 KiB windows) take
 * longer than a run: that combination is left out.
 */
function pairsOf(section: Section): Array<{ round: number; scenario: Scenario; shape: Shape }> {
  const rounds = Array.from({ length: section.rounds }, (_, index) => index + 1);
  const pairs = (scenarios: readonly Scenario[]) =>
    rounds.flatMap((round) => scenarios.flatMap((scenario) => section.shapes.map((shape) => ({ round, scenario, shape }))));
  const large = pairs(section.scenarios.filter(isLarge)).filter((pair) => pair.shape.streams === 1);
  return [...pairs(section.scenarios.filter((scenario) => !isLarge(scenario))), ...large];
}

async function runSection(setup: AbSetup, servers: Servers, section: Section): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for (const [index, { round, scenario, shape }] of pairsOf(section).entries()) {
    // A/B, then B/A: neither server always runs first (after the other one warmed the caches).
    const order: Role[] = index % 2 === 0 ? ['webhook', 'baseline'] : ['baseline', 'webhook'];
    for (const role of order) {
      const spec = {
        protocol: section.protocol,
        scenario,
        shape,
        round,
        role,
        server: servers[role],
        durationSeconds: section.durationSeconds,
      };
      const run = await measure({ http: setup.http }, spec);
      setup.log(describe(run));
      runs.push(run);
    }
  }
  return runs;
}

/** JIT warm-up before anything is recorded: every scenario once, the mix at 50 connections longer. */
async function warmUp(setup: AbSetup, server: ServerProcess): Promise<void> {
  const url = `https://127.0.0.1:${server.admissionPort}/validate?timeout=3s`;
  // Not the large object: the heap it grows would count in the RSS of the small reviews.
  for (const scenario of setup.scenarios.filter((candidate) => !isLarge(candidate))) {
    const durationSeconds = scenario.name === 'mix' ? setup.options.warmupSeconds : Math.min(0.5, setup.options.warmupSeconds);
    await setup.http.run({ url, connections: 50, durationSeconds, bodies: scenario.reviews.map((review) => review.body) });
  }
}

export async function runAb(setup: AbSetup): Promise<AbResult> {
  const { directory, certificates, kubeconfig } = setup;
  const webhook = await startWebhook({ directory, certificates, kubeconfig, logLevel: 'info', nodeFlags: setup.webhookNodeFlags });
  const baseline = await startBaseline(setup.directory, setup.certificates).catch(async (error: unknown) => {
    await stopProcess(webhook);
    throw error;
  });
  try {
    await waitReady(webhook);
    const idleRssBytes = { webhook: memoryOf(webhook.pid).rss, baseline: memoryOf(baseline.pid).rss };
    // The large object is checked by its own runs (and by test/bench/scenarios.test.ts), see warmUp.
    const small = setup.scenarios.filter((scenario) => !isLarge(scenario));
    const preflightChecks =
      (await preflight(webhook.admissionPort, setup.certificates.caCert, small, false)) +
      (await preflight(baseline.admissionPort, setup.certificates.caCert, small, true));
    setup.log(`preflight: ${preflightChecks} answers checked over HTTP/1.1 and HTTP/2; warming up`);
    await warmUp(setup, webhook);
    await warmUp(setup, baseline);
    const servers: Servers = { webhook, baseline };
    const { options } = setup;
    const runs = await runSection(setup, servers, {
      protocol: 'http1',
      rounds: options.rounds,
      durationSeconds: options.durationSeconds,
      shapes: HTTP1_SHAPES,
      scenarios: setup.scenarios,
    });
    if (options.h2) {
      const single = setup.scenarios.filter((scenario) => scenario.reviews.length === 1);
      const h2 = { rounds: options.h2Rounds, durationSeconds: options.h2DurationSeconds, shapes: HTTP2_SHAPES, scenarios: single };
      runs.push(...(await runSection(setup, servers, { protocol: 'http2', ...h2 })));
    }
    return { runs, preflightChecks, idleRssBytes };
  } finally {
    await Promise.all([stopProcess(webhook), stopProcess(baseline)]);
  }
}
