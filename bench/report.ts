/**
 * From runs to figures and tables: medians over the rounds, the ratio (the median of each round's
 * webhook ÷ baseline pair), decision-time quantiles from the summed histograms, the targets; the
 * whole as benchmarks.json, and the tables spliced into benchmarks.md between two markers, so that
 * the prose around them survives a new run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadResult } from './load.ts';
import { addHistograms, quantileMs, within100us, type Histogram, type Role, type RunRecord } from './measure.ts';
import type { ServerProfile } from './profile.ts';
import { median, mib } from './context.ts';
import type { Measured, ScalingPoint, StartupPoint } from './sections.ts';

export interface BenchReport extends Measured {
  /** The run's circumstances, one sentence each: machine, source, load generators, options. */
  readonly header: readonly string[];
  readonly scenarioTitles: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
}

interface Row {
  readonly requestsPerSecond: number;
  readonly latencyMs: LoadResult['latencyMs'];
  readonly errors: number;
  readonly verified: boolean;
  readonly cpuUsPerRequest: number;
  readonly decision: Histogram;
}

interface Comparison {
  readonly protocol: string;
  readonly scenario: string;
  readonly shape: string;
  readonly ratio: number;
  readonly ratios: readonly number[];
  readonly webhook: Row;
  readonly baseline: Row;
}

function rowOf(runs: readonly RunRecord[]): Row {
  const of = (value: (run: RunRecord) => number) => median(runs.map(value));
  return {
    requestsPerSecond: of((run) => run.load.requestsPerSecond),
    latencyMs: {
      p50: of((run) => run.load.latencyMs.p50),
      p99: of((run) => run.load.latencyMs.p99),
      p999: of((run) => run.load.latencyMs.p999),
    },
    errors: runs.reduce((sum, run) => sum + run.load.errors, 0),
    verified: runs.every((run) => run.verified),
    cpuUsPerRequest: of((run) => run.cpuUsPerRequest),
    decision: decisionOf(runs),
  };
}

const decisionOf = (runs: readonly RunRecord[]): Histogram => addHistograms(runs.flatMap((run) => (run.decision ? [run.decision] : [])));

/** One comparison per (protocol, scenario, shape), in the order they ran. */
export function compare(runs: readonly RunRecord[]): Comparison[] {
  return [...Map.groupBy(runs, (run) => `${run.protocol}|${run.scenario}|${run.shape}`).values()].map((group) => {
    const [webhook, baseline] = (['webhook', 'baseline'] as const).map((role) => group.filter((run) => run.role === role)) as [
      RunRecord[],
      RunRecord[],
    ];
    const ratios = webhook.map(
      (run) => run.load.requestsPerSecond / (baseline.find((pair) => pair.round === run.round)?.load.requestsPerSecond ?? Number.NaN),
    );
    const { protocol, scenario, shape } = webhook[0] as RunRecord;
    return { protocol, scenario, shape, ratio: median(ratios), ratios, webhook: rowOf(webhook), baseline: rowOf(baseline) };
  });
}

const fixed = (value: number | undefined, digits = 2) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));
const us = (ms: number) => fixed(ms * 1000, 0);
const count = (value: number) => Math.round(value).toLocaleString('en-US');
const decisionCell = (h: Histogram) => `${us(quantileMs(h, 0.5))} / ${us(quantileMs(h, 0.99))}`;
const peak = (runs: readonly RunRecord[], keep: (run: RunRecord) => boolean) =>
  Math.max(0, ...runs.filter(keep).map((run) => run.peakRssBytes));

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

type Target = [name: string, goal: string, measured: string, met: boolean];

const NO_HISTOGRAM: Histogram = { bounds: [], counts: [] };
const NO_ROW: Row = {
  requestsPerSecond: NaN,
  latencyMs: { p50: NaN, p99: NaN, p999: NaN },
  errors: 0,
  verified: false,
  cpuUsPerRequest: NaN,
  decision: NO_HISTOGRAM,
};
const NO_COMPARISON: Comparison = { protocol: '–', scenario: '–', shape: '–', ratio: NaN, ratios: [], webhook: NO_ROW, baseline: NO_ROW };

function loadTargets(comparisons: readonly Comparison[]): Target[] {
  const find = (protocol: string, scenario: string, shape: string) =>
    comparisons.find((entry) => entry.protocol === protocol && entry.scenario === scenario && entry.shape === shape) ?? NO_COMPARISON;
  const mix50 = find('http1', 'mix', '50 connections');
  // The 1 MiB object at 50 connections completes a request or two a connection in a run: see its own rows.
  const [worst = NO_COMPARISON] = comparisons
    .filter((entry) => entry.shape === '50 connections' && entry.scenario !== 'large-1mib')
    .sort((a, b) => a.ratio - b.ratio);
  const [mix1, h2] = [find('http1', 'mix', '1 connection'), find('http2', 'vs-create', '1 connection')];
  return [
    [
      'throughput at 50 connections',
      '≥ 0.9 × baseline',
      `${fixed(mix50.ratio)} × (mix, HTTP/1.1); lowest: ${fixed(worst.ratio)} × (${worst.scenario}, ${worst.protocol})`,
      mix50.ratio >= 0.9,
    ],
    [
      'p99 latency at 1 connection',
      '≤ 1 ms',
      `${fixed(mix1.webhook.latencyMs.p99)} ms (mix, HTTP/1.1, autocannon); ${fixed(h2.webhook.latencyMs.p99)} ms (VS CREATE, HTTP/2, h2load); baseline ${fixed(mix1.baseline.latencyMs.p99)} ms`,
      mix1.webhook.latencyMs.p99 <= 1,
    ],
  ];
}

function decisionTargets(runs: readonly RunRecord[], scaling: readonly ScalingPoint[]): Target[] {
  const decision = decisionOf(runs);
  const ofPoint = (point: ScalingPoint | undefined) => point?.loads[0]?.decision ?? NO_HISTOGRAM;
  const [first, last] = [quantileMs(ofPoint(scaling[0]), 0.5), quantileMs(ofPoint(scaling.at(-1)), 0.5)];
  const perSize = scaling.map(
    (point) => `${point.classes}: p50 ${us(quantileMs(ofPoint(point), 0.5))} µs, p99 ${us(quantileMs(ofPoint(point), 0.99))} µs`,
  );
  return [
    [
      'decision time p99',
      '≤ 0.1 ms',
      `p99 ${us(quantileMs(decision, 0.99))} µs, p50 ${us(quantileMs(decision, 0.5))} µs; ${fixed(within100us(decision) * 100)} % within 100 µs (${decision.counts.at(-1)} decisions)`,
      within100us(decision) >= 0.99,
    ],
    [
      'decision time flat from 1 to 10,000 classes',
      'flat',
      `second-default review, 1 connection: ${perSize.join('; ')}`,
      // The median with the largest cache within half again the smallest's (or 5 µs of it), every size within 0.1 ms:
      // the p99 is read from buckets of 10, 25, 50 and 100 µs, too coarse and too sensitive to one pause to compare sizes by.
      last <= Math.max(first * 1.5, first + 0.005) && scaling.every((point) => within100us(ofPoint(point)) >= 0.99),
    ],
  ];
}

const NO_STARTUP: StartupPoint = { setup: '–', runs: 0, readyMs: NaN, firstReviewMs: NaN, idleRssBytes: NaN };

function resourceTargets(report: Measured): Target[] {
  const startup = (setup: string) => report.startup.find((point) => point.setup === setup) ?? NO_STARTUP;
  const [bare, full, hundred] = [startup('no cluster'), startup('10000 classes'), startup('100 classes')];
  const [http1, http2] = (['http1', 'http2'] as const).map((protocol) =>
    peak(report.ab.runs, (run) => run.role === 'webhook' && run.protocol === protocol),
  ) as [number, number];
  const readyAfterList = report.scaling.map((point) => `${point.classes}: ${point.readyAfterListMs} ms`).join(', ');
  return [
    [
      'idle RSS (production build)',
      '≤ 80 MB with no cluster, ≤ 90 MB with 10,000 classes',
      `${mib(bare.idleRssBytes)} MiB with no cluster, ${mib(full.idleRssBytes)} MiB with 10,000 classes`,
      bare.idleRssBytes <= 80e6 && full.idleRssBytes <= 90e6,
    ],
    [
      'peak RSS under load',
      '≤ 150 MB',
      `HTTP/1.1 ${mib(http1)} MiB, HTTP/2 ${http2 === 0 ? 'not run' : `${mib(http2)} MiB`} (every A/B run, the 1 MiB object included)`,
      Math.max(http1, http2) <= 150e6,
    ],
    [
      'start to ready, to first review',
      '≤ 300 ms, ≤ 350 ms',
      `ready ${hundred.readyMs} ms, first review ${hundred.firstReviewMs} ms after spawn (100 classes, certificate files, a kubeconfig)`,
      hundred.readyMs <= 300 && hundred.firstReviewMs <= 350,
    ],
    [
      'ready after cache sync',
      '≤ 1 s',
      `ready after the last LIST: ${readyAfterList}`,
      report.scaling.length > 0 && report.scaling.every((point) => point.readyAfterListMs <= 1000),
    ],
  ];
}

/** Each target: name, goal, what was measured, met. */
export function targets(report: Measured): Target[] {
  return [...loadTargets(compare(report.ab.runs)), ...decisionTargets(report.ab.runs, report.scaling), ...resourceTargets(report)];
}

function comparisonTable(comparisons: readonly Comparison[], titles: Readonly<Record<string, string>>): string[] {
  const latency = (row: Row) => `${fixed(row.latencyMs.p50)} / ${fixed(row.latencyMs.p99)} / ${fixed(row.latencyMs.p999)}`;
  const header = ['scenario', 'shape', 'webhook req/s', 'baseline req/s', 'ratio (rounds: min–max)', 'webhook p50 / p99 / p99.9 ms'];
  header.push('baseline p50 / p99 / p99.9 ms', 'decision p50 / p99 µs', 'CPU µs/req (webhook / baseline)', 'errors');
  return table(
    header,
    comparisons.map(({ webhook, baseline, ...entry }) => [
      ...[titles[entry.scenario] ?? entry.scenario, entry.shape, count(webhook.requestsPerSecond), count(baseline.requestsPerSecond)],
      `${fixed(entry.ratio)} (${fixed(Math.min(...entry.ratios))}–${fixed(Math.max(...entry.ratios))})`,
      ...[
        latency(webhook),
        latency(baseline),
        decisionCell(webhook.decision),
        `${fixed(webhook.cpuUsPerRequest, 0)} / ${fixed(baseline.cpuUsPerRequest, 0)}`,
      ],
      `${webhook.errors + baseline.errors}${webhook.verified && baseline.verified ? '' : ' (answers not verified!)'}`,
    ]),
  );
}

function calibrationSection(report: BenchReport, mix50: Comparison | undefined): string[] {
  const extra =
    mix50 &&
    `${fixed(mix50.ratio)} ×, ${fixed(mix50.webhook.cpuUsPerRequest - mix50.baseline.cpuUsPerRequest, 0)} µs more CPU per request than the baseline`;
  return [
    'The baseline against itself with a fixed amount of busy CPU added per request (`--spin-us`), the mix at 50 connections, ' +
      `A/B rounds as above: what a given amount of work per review costs in ratio on this machine${extra ? ` (the webhook, in the same conditions: ${extra})` : ''}.`,
    '',
    ...table(
      ['added work per request', 'req/s', 'CPU µs/req', 'ratio to the plain baseline'],
      report.calibration.map((point) => [
        `${point.spinUs} µs`,
        count(point.requestsPerSecond),
        fixed(point.cpuUsPerRequest, 0),
        fixed(point.ratio),
      ]),
    ),
  ];
}

function rssTable(report: BenchReport): string[] {
  const { runs, idleRssBytes } = report.ab;
  const firstLarge = runs.findIndex((run) => run.scenario === 'large-1mib');
  const before = firstLarge < 0 ? runs : runs.slice(0, firstLarge);
  return table(
    ['server', 'idle after start', 'highest before the first 1 MiB review (small reviews, HTTP/1.1)', 'highest over the whole section'],
    (['webhook', 'baseline'] as Role[]).map((role) => [
      role,
      mib(idleRssBytes[role]),
      mib(peak(before, (run) => run.role === role)),
      mib(peak(runs, (run) => run.role === role)),
    ]),
  );
}

function scalingTable(points: readonly ScalingPoint[]): string[] {
  const header = [
    'classes',
    'serving / ready after start',
    'ready after last LIST',
    'idle RSS MiB',
    'load',
    'req/s',
    'p99 ms',
    'decision p50 / p99 µs',
    'peak RSS MiB',
  ];
  return table(
    header,
    points.flatMap((point) =>
      point.loads.map((load) => [
        ...[
          `${count(point.classes)} (cache: ${count(point.cacheSize)})`,
          `${point.servingMs} / ${point.readyMs} ms`,
          `${point.readyAfterListMs} ms`,
          mib(point.idleRssBytes),
        ],
        ...[
          `${load.scenario}, ${load.shape}`,
          count(load.load.requestsPerSecond),
          fixed(load.load.latencyMs.p99),
          decisionCell(load.decision ?? { bounds: [], counts: [] }),
          mib(load.peakRssBytes),
        ],
      ]),
    ),
  );
}

function profileSection(profiles: readonly ServerProfile[]): string[] {
  if (profiles.length === 0) return ['(profiling pass skipped)'];
  const areas = [...new Set(profiles.flatMap((profile) => profile.byArea.slice(0, 12).map((entry) => entry.name)))];
  const perRequest = profiles.map(
    (profile) => `${profile.role} ${fixed(profile.busyUsPerRequest, 0)} µs (${count(profile.requestsPerSecond)} req/s)`,
  );
  const lines = [
    `Mix at 50 connections under \`node --cpu-prof\` (the profiler slows both servers): main-thread CPU per request — ${perRequest.join(', ')}. ` +
      'Self time by area, µs per request (`native/V8 builtins` is mostly `writeUtf8String`: the TLS write and the loopback send inside it):',
    '',
    ...table(
      ['area', ...profiles.map((profile) => profile.role)],
      areas.map((area) => [
        area,
        ...profiles.map((profile) => fixed(profile.byArea.find((entry) => entry.name === area)?.usPerRequest, 1)),
      ]),
    ),
  ];
  for (const profile of profiles) {
    const rows = profile.byFunction
      .slice(0, 10)
      .map((entry) => [`\`${entry.name}\``, fixed(entry.usPerRequest, 1), `${fixed(entry.share * 100, 1)} %`]);
    lines.push('', `Top functions (self time), ${profile.role}:`, '', ...table(['function', 'µs/req', 'share'], rows));
  }
  return lines;
}

export function renderResults(report: BenchReport): string {
  const comparisons = compare(report.ab.runs);
  const byProtocol = (protocol: string) => comparisons.filter((entry) => entry.protocol === protocol);
  const startupRows = report.startup.map((point) => [
    point.setup,
    String(point.readyMs),
    String(point.firstReviewMs),
    mib(point.idleRssBytes),
  ]);
  return [
    ...report.header.flatMap((line) => [line, '']),
    '### Targets',
    '',
    ...table(
      ['target', 'goal', 'measured', 'met'],
      targets(report).map(([name, goal, measured, met]) => [name, goal, measured, met ? 'yes' : '**no**']),
    ),
    '',
    '### HTTP/1.1 (autocannon, keep-alive)',
    '',
    ...comparisonTable(byProtocol('http1'), report.scenarioTitles),
    '',
    '### HTTP/2 (h2load)',
    '',
    ...(byProtocol('http2').length > 0 ? comparisonTable(byProtocol('http2'), report.scenarioTitles) : ['not measured']),
    '',
    "### What the ratio leaves for the webhook's own work",
    '',
    ...calibrationSection(
      report,
      comparisons.find((entry) => entry.protocol === 'http1' && entry.scenario === 'mix' && entry.shape === '50 connections'),
    ),
    '',
    '### Server RSS (MiB) in the A/B section',
    '',
    'Sampled every 100 ms from /proc while each run lasts. V8 keeps the heap it grew, so a row counts everything served before it.',
    '',
    ...rssTable(report),
    '',
    '### Class cache: 1, 100, 10,000 classes',
    '',
    ...scalingTable(report.scaling),
    '',
    '### Start-up and idle memory (production build, fresh processes)',
    '',
    `Medians of ${report.startup[0]?.runs ?? 0} starts each: from spawning \`node dist/main.js\` to /readyz answering 200, to the first review answered, and RSS 2 s later.`,
    '',
    ...table(['setup', 'ready ms', 'first review ms', 'idle RSS MiB'], startupRows),
    '',
    '### Profile',
    '',
    ...profileSection(report.profiles),
    '',
    ...report.notes.map((note) => `- ${note}`),
  ].join('\n');
}

const BEGIN = '<!-- bench:results:begin (generated by `npm run bench`; edit outside the markers) -->';
const END = '<!-- bench:results:end -->';

/** Writes benchmarks.json, and the tables into benchmarks.md between the markers (appended when it has none). */
export async function writeReport(directory: string, report: BenchReport): Promise<string> {
  await mkdir(directory, { recursive: true });
  const [json, markdown] = [join(directory, 'benchmarks.json'), join(directory, 'benchmarks.md')];
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  const document = existsSync(markdown) ? readFileSync(markdown, 'utf8') : '# Benchmarks\n';
  const [begin, end] = [document.indexOf(BEGIN), document.indexOf(END)];
  const results = `${BEGIN}\n${renderResults(report)}\n${END}`;
  await writeFile(
    markdown,
    begin < 0 || end < begin
      ? `${document.trimEnd()}\n\n## Results\n\n${results}\n`
      : `${document.slice(0, begin)}${results}${document.slice(end + END.length)}`,
  );
  return markdown;
}
