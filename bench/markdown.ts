/**
 * The generated part of docs/benchmarks.md: tables only, from the JSON report. The prose around
 * it (findings, closing note) is written by people and kept between runs.
 */
import type { Comparison, ScalingPoint, Target } from './aggregate.ts';
import { mib } from './statistics.ts';
import type { BenchReport } from './bench-report.ts';
import type { ServerProfile } from './profile-pass.ts';

const ms = (value: number) => value.toFixed(2);
const us = (milliseconds: number | undefined) => (milliseconds === undefined ? '–' : (milliseconds * 1000).toFixed(0));
const count = (value: number) => Math.round(value).toLocaleString('en-US');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

function header(report: BenchReport): string[] {
  const { machine, options } = report;
  return [
    `Run of ${report.date} on ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, Node ${machine.node}, ${machine.os}; ` +
      `load average ${machine.loadAverageBefore.map((value) => value.toFixed(2)).join(' ')} before, ` +
      `${machine.loadAverageAfter.map((value) => value.toFixed(2)).join(' ')} after. The load generator runs on the same machine.`,
    '',
    `Source: commit ${report.source.commit}` +
      (report.source.uncommitted.length === 0
        ? ', no uncommitted changes.'
        : ` with uncommitted changes in ${report.source.uncommitted.map((file) => `\`${file}\``).join(', ')} (other work in progress in the tree when the bench ran).`),
    '',
    ...(report.webhookNodeFlags.length > 0
      ? [`The webhook ran with \`${report.webhookNodeFlags.join(' ')}\` (an experiment, not the production command).`, '']
      : []),
    `Load generators: ${report.loadGenerators.http1}; ${report.loadGenerators.http2 ?? 'HTTP/2 not measured (h2load missing)'}. ` +
      `HTTP/1.1: ${options.rounds} rounds of ${options.durationSeconds} s per server, scenario and shape; ` +
      `HTTP/2: ${options.h2Rounds} rounds of ${options.h2DurationSeconds} s. Figures are medians over the rounds; ` +
      `the ratio is the median of each round's webhook ÷ baseline pair. ${report.preflightChecks} answers checked before the load. ` +
      `Bench wall time: ${Math.round(report.wallSeconds)} s.`,
    '',
  ];
}

function targetRows(targets: readonly Target[]): string[] {
  return table(
    ['target', 'goal', 'measured', 'met'],
    targets.map((target) => [target.name, target.target, target.measured, target.met ? 'yes' : '**no**']),
  );
}

function comparisonRows(comparisons: readonly Comparison[], titles: Readonly<Record<string, string>>): string[] {
  return table(
    [
      'scenario',
      'shape',
      'webhook req/s',
      'baseline req/s',
      'ratio (rounds: min–max)',
      'webhook p50 / p99 / p99.9 ms',
      'baseline p50 / p99 / p99.9 ms',
      'decision p50 / p99 µs',
      'CPU µs/req (webhook / baseline)',
      'errors',
    ],
    comparisons.map((entry) => {
      const { webhook, baseline } = entry;
      const latency = (row: typeof webhook) => `${ms(row.latencyMs.p50)} / ${ms(row.latencyMs.p99)} / ${ms(row.latencyMs.p999)}`;
      const verified = webhook.verified && baseline.verified ? '' : ' (answers not verified!)';
      return [
        titles[entry.scenario] ?? entry.scenario,
        entry.shape,
        count(webhook.requestsPerSecond),
        count(baseline.requestsPerSecond),
        `${entry.ratio.toFixed(2)} (${Math.min(...entry.ratios).toFixed(2)}–${Math.max(...entry.ratios).toFixed(2)})`,
        latency(webhook),
        latency(baseline),
        `${us(webhook.decision?.p50)} / ${us(webhook.decision?.p99)}`,
        `${webhook.cpuUsPerRequest.toFixed(0)} / ${baseline.cpuUsPerRequest.toFixed(0)}`,
        `${webhook.errors + baseline.errors}${verified}`,
      ];
    }),
  );
}

function rssRows(report: BenchReport): string[] {
  return table(
    ['server', 'idle after start', 'highest before the first 1 MiB review (small reviews, HTTP/1.1)', 'highest over the whole section'],
    report.rss.map((entry) => [entry.role, mib(entry.idleBytes), mib(entry.smallReviewsBytes), mib(entry.largeObjectBytes)]),
  );
}

function calibrationRows(report: BenchReport): string[] {
  const mix = report.comparisons.find(
    (entry) => entry.protocol === 'http1' && entry.scenario === 'mix' && entry.shape === '50 connections',
  );
  const extra = mix === undefined ? undefined : mix.webhook.cpuUsPerRequest - mix.baseline.cpuUsPerRequest;
  return [
    'The baseline against itself with a fixed amount of busy CPU added per request (`--spin-us`), the mix at 50 connections, ' +
      'A/B rounds as above: what a given amount of work per review costs in ratio on this machine' +
      (extra === undefined
        ? '.'
        : ` (the webhook, in the same conditions: ${mix?.ratio.toFixed(2)} ×, ${extra.toFixed(0)} µs more CPU per request than the baseline).`),
    '',
    ...table(
      ['added work per request', 'req/s', 'CPU µs/req', 'ratio to the plain baseline'],
      report.calibration.map((point) => [
        `${point.spinUs} µs`,
        count(point.requestsPerSecond),
        point.cpuUsPerRequest.toFixed(0),
        point.ratio.toFixed(2),
      ]),
    ),
  ];
}

function scalingRows(points: readonly ScalingPoint[]): string[] {
  return table(
    [
      'classes',
      'serving / ready after start',
      'ready after last LIST',
      'idle RSS MiB',
      'load',
      'req/s',
      'p99 ms',
      'decision p50 / p99 µs',
      'peak RSS MiB',
    ],
    points.flatMap((point) =>
      point.loads.map((load) => [
        `${count(point.classes)} (cache: ${count(point.cacheSize)})`,
        `${point.servingMs} / ${point.readyMs} ms`,
        `${point.readyAfterListMs} ms`,
        mib(point.idleRssBytes),
        `${load.scenario}, ${load.shape}`,
        count(load.requestsPerSecond),
        ms(load.latencyMs.p99),
        `${us(load.decision.p50)} / ${us(load.decision.p99)}`,
        mib(load.peakRssBytes),
      ]),
    ),
  );
}

function profileRows(profiles: readonly ServerProfile[]): string[] {
  if (profiles.length === 0) return ['(profiling pass skipped)'];
  const areas = [...new Set(profiles.flatMap((profile) => profile.byArea.slice(0, 12).map((entry) => entry.name)))];
  const cell = (profile: ServerProfile, area: string) =>
    profile.byArea.find((entry) => entry.name === area)?.usPerRequest.toFixed(1) ?? '–';
  const lines = [
    `Mix at 50 connections under \`node --cpu-prof\` (the profiler slows both servers): main-thread CPU per request — ` +
      profiles
        .map((profile) => `${profile.role} ${profile.busyUsPerRequest.toFixed(0)} µs (${count(profile.requestsPerSecond)} req/s)`)
        .join(', ') +
      '. Self time by area, µs per request (`native/V8 builtins` is mostly `writeUtf8String`: the TLS write and the loopback send inside it):',
    '',
    ...table(
      ['area', ...profiles.map((profile) => profile.role)],
      areas.map((area) => [area, ...profiles.map((profile) => cell(profile, area))]),
    ),
  ];
  for (const profile of profiles) {
    lines.push('', `Top functions (self time), ${profile.role}:`, '');
    lines.push(
      ...table(
        ['function', 'µs/req', 'share'],
        profile.byFunction
          .slice(0, 10)
          .map((entry) => [`\`${entry.name}\``, entry.usPerRequest.toFixed(1), `${(entry.share * 100).toFixed(1)} %`]),
      ),
    );
  }
  return lines;
}

export function renderResults(report: BenchReport): string {
  const titles = Object.fromEntries(report.scenarios.map((scenario) => [scenario.name, scenario.title]));
  const http1 = report.comparisons.filter((entry) => entry.protocol === 'http1');
  const http2 = report.comparisons.filter((entry) => entry.protocol === 'http2');
  return [
    ...header(report),
    '### Targets',
    '',
    ...targetRows(report.targets),
    '',
    '### HTTP/1.1 (autocannon, keep-alive)',
    '',
    ...comparisonRows(http1, titles),
    '',
    '### HTTP/2 (h2load)',
    '',
    ...(http2.length > 0 ? comparisonRows(http2, titles) : [report.notes.find((note) => note.startsWith('h2load')) ?? 'not measured']),
    '',
    "### What the ratio leaves for the webhook's own work",
    '',
    ...calibrationRows(report),
    '',
    '### Server RSS (MiB) in the A/B section',
    '',
    'Sampled every 100 ms from /proc while each run lasts. V8 keeps the heap it grew, so a row counts everything served before it.',
    '',
    ...rssRows(report),
    '',
    '### Class cache: 1, 100, 10,000 classes',
    '',
    ...scalingRows(report.scaling),
    '',
    '### Start-up and idle memory (production build, fresh processes)',
    '',
    `Medians of ${report.startup[0]?.runs ?? 0} starts each: from spawning \`node dist/main.js\` to /readyz answering 200, to the first review answered, and RSS 2 s later.`,
    '',
    ...table(
      ['setup', 'ready ms', 'first review ms', 'idle RSS MiB'],
      report.startup.map((point) => [point.setup, String(point.readyMs), String(point.firstReviewMs), mib(point.idleRssBytes)]),
    ),
    '',
    '### Profile',
    '',
    ...profileRows(report.profiles),
    '',
    ...report.notes.map((note) => `- ${note}`),
  ].join('\n');
}
