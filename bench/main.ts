/**
 * `npm run bench`: the webhook (node dist/main.js, production mode, its own process) against a
 * baseline (bare Fastify, same TLS) under the same load, A/B over several rounds; the class-cache
 * scaling; a profiling pass; the report in docs/benchmarks.{json,md}.
 *
 *   npm run bench                  full run (about 7 minutes on 2 cores), writes docs/
 *   npm run bench -- --quick       smoke run (about 1.5 minutes), writes .tmp/bench/
 *   npm run bench -- --help        options
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compare, overallDecision, rssSummary, targets, type ScalingPoint } from './aggregate.ts';
import { isLarge, runAb } from './ab.ts';
import { startCluster } from './cluster.ts';
import { H2LOAD_MISSING_NOTE, h2loadAvailable, HttpLoadGenerator } from './load.ts';
import { REPO, writeCertificates } from './processes.ts';
import { runProfiles, type ServerProfile } from './profile-pass.ts';
import { machineNow, writeReport, type BenchReport } from './report.ts';
import { runCalibration, type CalibrationPoint } from './calibration.ts';
import { runScaling } from './scaling.ts';
import { runStartup, type StartupPoint } from './startup.ts';
import { scenarios as allScenarios } from './scenarios.ts';

const HELP = `npm run bench -- [options]
  --quick                 smoke run: 1 round of 1 s, writes to .tmp/bench unless --out is given
  --rounds N              HTTP/1.1 A/B rounds (default 3)
  --duration S            seconds per HTTP/1.1 run (default 1.5)
  --h2-rounds N           HTTP/2 A/B rounds (default 2)
  --h2-duration S         seconds per HTTP/2 run (default 1.5)
  --classes LIST          class counts for the cache scaling (default 1,100,10000)
  --scenarios LIST        only these scenarios (default: all; mix, class-second-default are always kept)
  --no-h2                 skip HTTP/2 even when h2load is installed
  --no-profile            skip the profiling pass
  --webhook-node-flags F  extra node flags for the webhook process (experiments), e.g. --max-semi-space-size=4
  --rerender              no measuring: rebuild the tables of DIR/benchmarks.md from DIR/benchmarks.json
  --out DIR               where benchmarks.json and benchmarks.md go (default docs, or .tmp/bench with --quick)
`;

interface Options {
  readonly quick: boolean;
  readonly rounds: number;
  readonly durationSeconds: number;
  readonly h2Rounds: number;
  readonly h2DurationSeconds: number;
  readonly classCounts: readonly number[];
  readonly scenarioNames: readonly string[] | undefined;
  readonly h2: boolean;
  readonly profile: boolean;
  readonly out: string;
  readonly webhookNodeFlags: readonly string[];
  readonly rerender: boolean;
}

function positive(value: string | undefined, fallback: number, name: string): number {
  const parsed = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number, not ${value}`);
  return parsed;
}

function parseOptions(argv: readonly string[]): Options | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      'h2-rounds': { type: 'string' },
      'h2-duration': { type: 'string' },
      classes: { type: 'string', default: '1,100,10000' },
      scenarios: { type: 'string' },
      'no-h2': { type: 'boolean', default: false },
      'no-profile': { type: 'boolean', default: false },
      out: { type: 'string' },
      'webhook-node-flags': { type: 'string', default: '' },
      rerender: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  const quick = values.quick;
  return {
    quick,
    rounds: positive(values.rounds, quick ? 1 : 3, 'rounds'),
    durationSeconds: positive(values.duration, quick ? 1 : 1.5, 'duration'),
    h2Rounds: positive(values['h2-rounds'], quick ? 1 : 2, 'h2-rounds'),
    h2DurationSeconds: positive(values['h2-duration'], quick ? 1 : 1.5, 'h2-duration'),
    classCounts: values.classes.split(',').map((entry) => positive(entry, 0, 'classes')),
    scenarioNames: values.scenarios?.split(','),
    h2: !values['no-h2'],
    profile: !values['no-profile'],
    out: values.out ?? join(REPO, quick ? '.tmp/bench' : 'docs'),
    webhookNodeFlags: values['webhook-node-flags'].split(' ').filter(Boolean),
    rerender: values.rerender,
  };
}

function versionOf(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? (result.stdout.trim().split('\n')[0] ?? command) : command;
}

function sourceState(): BenchReport['source'] {
  const git = (args: readonly string[]) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  const status = git(['status', '--porcelain', '--', 'src', 'schemas']);
  const uncommitted =
    status.status === 0
      ? status.stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => line.slice(3))
      : [];
  return { commit: head.status === 0 ? head.stdout.trim() : 'unknown (not a git checkout)', uncommitted };
}

function autocannonVersion(): string {
  const manifest = JSON.parse(readFileSync(join(REPO, 'node_modules/autocannon/package.json'), 'utf8')) as { version: string };
  return `autocannon ${manifest.version} (HTTP/1.1, in its own process; 1 thread)`;
}

const benchStarted = Date.now();
const log = (line: string) => process.stderr.write(`${((Date.now() - benchStarted) / 1000).toFixed(1).padStart(6)} s  ${line}\n`);

interface Measured {
  readonly ab: Awaited<ReturnType<typeof runAb>>;
  readonly profiles: ServerProfile[];
  readonly scaling: ScalingPoint[];
  readonly startup: StartupPoint[];
  readonly calibration: CalibrationPoint[];
}

/** The A/B section and the profiling pass share the 100-class cluster; the scaling makes its own. */
async function measureAll(options: Options, directory: string, http: HttpLoadGenerator, withH2: boolean): Promise<Measured> {
  const scenarios = selectedScenarios(options);
  const certificates = await writeCertificates(directory);
  const warmupSeconds = options.quick ? 1 : 2;
  const cluster = await startCluster(directory, 100);
  let ab: Measured['ab'];
  let profiles: ServerProfile[] = [];
  try {
    const abOptions = { ...options, h2: withH2, warmupSeconds };
    const { webhookNodeFlags } = options;
    ab = await runAb({
      directory,
      certificates,
      kubeconfig: cluster.kubeconfig,
      scenarios,
      http,
      log,
      options: abOptions,
      webhookNodeFlags,
    });
    if (options.profile) {
      const mix = scenarios.find((scenario) => scenario.name === 'mix');
      if (mix === undefined) throw new Error('no mix scenario');
      const keepDirectory = join(REPO, '.tmp/bench/profiles');
      const durationSeconds = options.quick ? 2 : 4;
      profiles = await runProfiles({
        directory,
        certificates,
        kubeconfig: cluster.kubeconfig,
        mix,
        http,
        log,
        durationSeconds,
        keepDirectory,
        webhookNodeFlags,
      });
    }
  } finally {
    await cluster.close();
  }
  const { classCounts, durationSeconds, webhookNodeFlags, rounds } = options;
  const mix = scenarios.find((scenario) => scenario.name === 'mix');
  if (mix === undefined) throw new Error('no mix scenario');
  const calibration = await runCalibration({ directory, certificates, mix, http, rounds, durationSeconds, log });
  const scaling = await runScaling({
    directory,
    certificates,
    classCounts,
    scenarios,
    http,
    durationSeconds,
    warmupSeconds,
    webhookNodeFlags,
    log,
  });
  const startup = await runStartup({ directory, certificates, runs: options.quick ? 3 : STARTUP_RUNS, webhookNodeFlags, log });
  return { ab, profiles, scaling, startup, calibration };
}

/** Fresh starts for each start-up setup; the medians are reported. */
const STARTUP_RUNS = 7;

function selectedScenarios(options: Options) {
  const wanted = options.scenarioNames === undefined ? undefined : new Set(['mix', 'class-second-default', ...options.scenarioNames]);
  return allScenarios().filter((scenario) => wanted === undefined || wanted.has(scenario.name));
}

function reportOf(
  options: Options,
  measured: Measured,
  context: { machine: ReturnType<typeof machineNow>; withH2: boolean; notes: string[]; started: number },
): BenchReport {
  const { ab, profiles, scaling, startup, calibration } = measured;
  const comparisons = compare(ab.runs);
  const decision = overallDecision(ab.runs);
  const scenarios = selectedScenarios(options);
  return {
    date: new Date().toISOString(),
    machine: { ...context.machine, loadAverageAfter: loadavg() },
    source: sourceState(),
    options: {
      rounds: options.rounds,
      durationSeconds: options.durationSeconds,
      h2Rounds: options.h2Rounds,
      h2DurationSeconds: options.h2DurationSeconds,
      classCounts: options.classCounts,
    },
    loadGenerators: {
      http1: autocannonVersion(),
      http2: context.withH2 ? `${versionOf('h2load', ['--version'])} (HTTP/2, 1 thread)` : null,
    },
    scenarios: scenarios.map((scenario) => ({
      name: scenario.name,
      title: scenario.title,
      bodyBytes: scenario.reviews.map((review) => Buffer.byteLength(review.body)),
    })),
    preflightChecks: ab.preflightChecks,
    rss: rssSummary(
      ab.runs,
      ab.idleRssBytes,
      scenarios.filter(isLarge).map((scenario) => scenario.name),
    ),
    targets: targets({ comparisons, decision, scaling, startup, runs: ab.runs }),
    decision,
    comparisons,
    scaling,
    profiles,
    startup,
    calibration,
    webhookNodeFlags: options.webhookNodeFlags,
    notes: context.notes,
    wallSeconds: (Date.now() - context.started) / 1000,
    runs: ab.runs,
  };
}

async function run(options: Options): Promise<void> {
  if (!existsSync(join(REPO, 'dist/main.js'))) throw new Error('dist/main.js is missing: run `npm run build` (npm run bench does it)');
  const started = Date.now();
  const machine = machineNow();
  const withH2 = options.h2 && h2loadAvailable();
  const notes: string[] = [];
  if (options.h2 && !withH2) {
    notes.push(H2LOAD_MISSING_NOTE);
    log(H2LOAD_MISSING_NOTE);
  }
  const directory = await mkdtemp(join(tmpdir(), 'snapshot-webhook-bench-'));
  const http = HttpLoadGenerator.start();
  try {
    const measured = await measureAll(options, directory, http, withH2);
    const report = reportOf(options, measured, { machine, withH2, notes, started });
    const written = await writeReport(options.out, report);
    for (const target of report.targets) log(`${target.met ? 'met    ' : 'MISSED '} ${target.name} (${target.target}): ${target.measured}`);
    log(`report: ${written.markdown}, ${written.json} (${Math.round(report.wallSeconds)} s)`);
  } finally {
    await http.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

/** The figures derived from the runs, computed again: for a change in how they are summarized. */
async function rerender(options: Options): Promise<void> {
  const report = JSON.parse(readFileSync(join(options.out, 'benchmarks.json'), 'utf8')) as BenchReport;
  const comparisons = compare(report.runs);
  const decision = overallDecision(report.runs);
  const large = report.scenarios.filter((scenario) => scenario.bodyBytes.some((bytes) => bytes > 100_000)).map((scenario) => scenario.name);
  const idle = { webhook: report.rss[0]?.idleBytes ?? 0, baseline: report.rss[1]?.idleBytes ?? 0 };
  const rss = rssSummary(report.runs, idle, large);
  const written = await writeReport(options.out, {
    ...report,
    comparisons,
    decision,
    rss,
    targets: targets({ comparisons, decision, scaling: report.scaling, startup: report.startup ?? [], runs: report.runs }),
  });
  log(`report rebuilt from ${written.json}: ${written.markdown}`);
}

const options = parseOptions(process.argv.slice(2));
if (options === undefined) {
  process.stdout.write(HELP);
} else {
  (options.rerender ? rerender(options) : run(options)).catch((error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  });
}
