/**
 * `npm run soak`: the built webhook (its own process, the chart's heap flags) under a steady mix of
 * reviews for a while. The mix: every example of docs/examples, a resource the webhook does not
 * know and a body that is not JSON, over two HTTP/2 sessions (what kube-apiserver uses), two pools
 * of HTTP/1.1 keep-alive connections, and now and then a new TLS connection; every answer is
 * checked. Reports memory after warm-up and at the end with the fitted trend, the event-loop delay
 * from /metrics, client latency and every error; exits 1 on an error or growth beyond the noise.
 *
 *   npm run soak [-- --seconds 120 --rate 300 --entry dist/main.js --node-options "..." --json FILE]
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type ClientHttp2Session } from 'node:http2';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { postHttp1, postOnSession, type ClientResponse } from '../testkit/clients.ts';
import { httpGet, startWebhook, stopProcess } from '../testkit/processes.ts';
import { sampleSum } from '../testkit/prometheus-text.ts';

/** What the chart's defaults set (from its 384 MiB memory limit). '' for Node's own, which on a big machine lets garbage pile up. */
const CHART_NODE_OPTIONS = '--max-old-space-size=192 --max-semi-space-size=2';
const MIB = 2 ** 20;
const MAX_IN_FLIGHT = 256;

export interface SoakOptions {
  readonly seconds: number;
  /** Requests a second, sent open-loop: a slower webhook does not get less to do. */
  readonly rate: number;
  /** dist/main.js (what the image runs) or src/main.ts. */
  readonly entry: string;
  readonly sampleEveryMs: number;
  /** Samples before this are warm-up (JIT, pools, caches): not in the trend. */
  readonly warmupSeconds: number;
  readonly nodeOptions?: string;
}

interface Sample {
  readonly atSeconds: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Since the previous scrape: prom-client resets the event-loop histogram at each. */
  readonly eventLoopP99Seconds: number;
  readonly eventLoopMaxSeconds: number;
}

interface Entry {
  readonly name: string;
  readonly body: string;
  /** The decision for a review; the HTTP status for what is not one. */
  readonly expected: 'allowed' | 'denied' | number;
}

function reviewMix(): Entry[] {
  const example = (file: string) => readFileSync(new URL(`../docs/examples/${file}.json`, import.meta.url), 'utf8');
  const unknown = JSON.parse(example('volumesnapshot-allowed')) as { request: Record<string, unknown> };
  unknown.request.resource = { group: 'example.com', version: 'v1', resource: 'widgets' };
  const examples = [
    ['volumesnapshot-allowed', 'allowed'],
    ['volumesnapshot-denied', 'denied'],
    ['volumesnapshot-update-denied', 'denied'],
    ['volumesnapshotclass-default', 'allowed'],
    ['volumesnapshotclass-warning', 'allowed'],
    ['volumegroupsnapshot-empty-selector-warning', 'allowed'],
  ] as const;
  return [
    ...examples.map(([name, expected]) => ({ name, body: example(name), expected })),
    { name: 'unknown-resource', body: JSON.stringify(unknown), expected: 'allowed' },
    { name: 'not-json', body: '{"apiVersion": "admission.k8s.io/v1", "kind": ', expected: 400 },
  ];
}

/** Why an answer is wrong, or undefined. */
function judge(entry: Entry, answer: ClientResponse): string | undefined {
  if (typeof entry.expected === 'number')
    return answer.status === entry.expected ? undefined : `${entry.name}: status ${answer.status}, expected ${entry.expected}`;
  if (answer.status !== 200) return `${entry.name}: status ${answer.status}`;
  const decision = (JSON.parse(answer.text) as { response?: { allowed?: boolean } }).response?.allowed === true ? 'allowed' : 'denied';
  return decision === entry.expected ? undefined : `${entry.name}: ${decision}, expected ${entry.expected}`;
}

/** The mix at the rate for the duration; resolves once every request sent has ended. */
async function runTraffic(origin: string, ca: string, rate: number, durationMs: number) {
  const mix = reviewMix();
  const totals = { sent: 0, ok: 0, skipped: 0, errors: {} as Record<string, number>, slowestMs: {} as Record<string, number> };
  const latencyUs = createHistogram();
  const sessions: ClientHttp2Session[] = [];
  const session = (index: number) => {
    if (sessions[index] === undefined || sessions[index].closed || sessions[index].destroyed) {
      sessions[index] = connect(origin, { ca }).on('error', () => undefined);
    }
    return sessions[index];
  };
  // One HTTP/1.1 connection carries one request at a time: pools of a few, as HTTP/1.1 clients keep.
  const agents = [0, 1].map(() => new Agent({ keepAlive: true, maxSockets: 4, ALPNProtocols: ['http/1.1'] }));
  const http1 = (agent?: Agent) => (body: string) => postHttp1(`${origin}/validate?timeout=3s`, body, { ca, agent, timeoutSeconds: 10 });
  const senders = [
    ['http2', (body: string) => postOnSession(session(0), '/validate?timeout=3s', body)],
    ['http2', (body: string) => postOnSession(session(1), '/validate?timeout=3s', body)],
    ...agents.map((agent) => ['http1-keep-alive', http1(agent)] as const),
  ] as const;
  const countError = (problem: string) => {
    totals.errors[problem] = (totals.errors[problem] ?? 0) + 1;
  };
  const pending = new Set<Promise<void>>();
  const sendOne = (index: number) => {
    const entry = mix[index % mix.length] as Entry;
    // One request in 20 on a new TLS connection.
    const [kind, send] = index % 20 === 0 ? ['http1-new-connection', http1()] : (senders[index % senders.length] ?? senders[0]);
    const started = performance.now();
    const done = send(entry.body)
      .then((answer) => {
        const problem = judge(entry, answer);
        if (problem === undefined) totals.ok += 1;
        else countError(problem);
        const ms = performance.now() - started;
        latencyUs.record(Math.max(1, Math.round(ms * 1000)));
        totals.slowestMs[kind] = Math.max(totals.slowestMs[kind] ?? 0, ms);
      })
      .catch((error: unknown) => countError(`${entry.name}: ${String(error)}`))
      .finally(() => pending.delete(done));
    pending.add(done);
  };
  const startedAt = performance.now();
  for (let due = 0; performance.now() - startedAt < durationMs; await sleep(10)) {
    for (const target = Math.floor(((performance.now() - startedAt) / 1000) * rate); due < target; due += 1) {
      if (pending.size >= MAX_IN_FLIGHT) totals.skipped += 1;
      else sendOne(totals.sent++);
    }
  }
  await Promise.all(pending);
  for (const open of sessions) open.close();
  for (const agent of agents) agent.destroy();
  const latencyMs = { p50: latencyUs.percentile(50) / 1000, p99: latencyUs.percentile(99) / 1000, max: latencyUs.max / 1000 };
  return { ...totals, latencyMs };
}

/** Least squares over the samples: the growth a minute, the noise (σ around the line) and whether the fitted growth is within it. */
function trend(points: readonly { atSeconds: number; bytes: number }[]) {
  const n = points.length;
  const mean = (value: (point: (typeof points)[number]) => number) => points.reduce((sum, point) => sum + value(point), 0) / n;
  const [meanX, meanY] = [mean((point) => point.atSeconds), mean((point) => point.bytes)];
  const sxx = mean((point) => (point.atSeconds - meanX) ** 2) * n;
  const slope = sxx === 0 ? 0 : (mean((point) => (point.atSeconds - meanX) * (point.bytes - meanY)) * n) / sxx;
  const squares = mean((point) => (point.bytes - (meanY + slope * (point.atSeconds - meanX))) ** 2) * n;
  const noiseBytes = Math.sqrt(squares / Math.max(1, n - 2));
  const [first, last] = [points[0], points.at(-1)];
  const startBytes = first?.bytes ?? Number.NaN;
  // 3 σ, and at least 5 MiB or 5 %: what the fitted growth over the run may reach and still be noise.
  const toleranceBytes = Math.max(3 * noiseBytes, 5 * MIB, 0.05 * startBytes);
  const flat = slope * ((last?.atSeconds ?? 0) - (first?.atSeconds ?? 0)) <= toleranceBytes;
  return {
    startBytes,
    endBytes: last?.bytes ?? Number.NaN,
    maxBytes: Math.max(...points.map((point) => point.bytes)),
    slopeBytesPerMinute: slope * 60,
    noiseBytes,
    toleranceBytes,
    flat,
  };
}

async function scrape(port: number, atSeconds: number): Promise<Sample> {
  const { body } = await httpGet(port, '/metrics');
  const value = (name: string) => sampleSum(body, name);
  return {
    atSeconds,
    rssBytes: value('process_resident_memory_bytes'),
    heapUsedBytes: value('nodejs_heap_size_used_bytes'),
    eventLoopP99Seconds: value('nodejs_eventloop_lag_p99_seconds'),
    eventLoopMaxSeconds: value('nodejs_eventloop_lag_max_seconds'),
  };
}

export async function runSoak(options: SoakOptions) {
  const directory = await mkdtemp(join(tmpdir(), 'snapshot-webhook-soak-'));
  try {
    const nodeFlags = (options.nodeOptions ?? '').split(' ').filter(Boolean);
    const webhook = await startWebhook({ directory, entry: options.entry, nodeFlags });
    const samples: Sample[] = [];
    const take = () =>
      scrape(webhook.metricsPort, (Date.now() - webhook.servingAt) / 1000).then(
        (sample) => void samples.push(sample),
        () => undefined,
      );
    let scraping = take();
    const timer = setInterval(() => {
      scraping = take();
    }, options.sampleEveryMs);
    const ca = readFileSync(join(directory, 'ca.crt'), 'utf8');
    const { latencyMs, ...traffic } = await runTraffic(
      `https://localhost:${webhook.admissionPort}`,
      ca,
      options.rate,
      options.seconds * 1000,
    );
    clearInterval(timer);
    await scraping;
    await take();
    const exitCode = await stopProcess(webhook);
    const steady = samples.filter((sample) => sample.atSeconds >= options.warmupSeconds);
    // A scrape right after another (the last one) has no delays recorded: 0, not a figure.
    const lags = steady
      .map((sample) => sample.eventLoopP99Seconds)
      .filter((lag) => lag > 0)
      .sort((a, b) => a - b);
    const logged = readFileSync(webhook.logFile, 'utf8').split('\n').filter(Boolean);
    const webhookErrors = logged.filter((line) => !line.startsWith('{') || Number((JSON.parse(line) as { level?: number }).level) >= 50);
    return {
      options,
      nodeVersion: process.version,
      traffic,
      latencyMs,
      samples,
      rss: trend(steady.map((sample) => ({ atSeconds: sample.atSeconds, bytes: sample.rssBytes }))),
      heapUsed: trend(steady.map((sample) => ({ atSeconds: sample.atSeconds, bytes: sample.heapUsedBytes }))),
      eventLoopP99Seconds: { median: lags[Math.floor(lags.length / 2)] ?? Number.NaN, max: Math.max(...lags) },
      eventLoopMaxSeconds: Math.max(...steady.map((sample) => sample.eventLoopMaxSeconds)),
      webhookErrors,
      exitCode,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

export type SoakReport = Awaited<ReturnType<typeof runSoak>>;

/** Errors of any kind: what makes the run fail. */
export function soakErrors(report: SoakReport): string[] {
  const problems = Object.entries(report.traffic.errors).map(([error, count]) => `${count}× ${error}`);
  if (report.traffic.skipped > 0) problems.push(`${report.traffic.skipped} requests not sent: ${MAX_IN_FLIGHT} already in flight`);
  if (report.exitCode !== 0) problems.push(`the webhook exited with ${String(report.exitCode)} after SIGTERM`);
  return [...problems, ...report.webhookErrors];
}

function render(report: SoakReport, problems: readonly string[]): string {
  const { traffic, rss, heapUsed, eventLoopP99Seconds, latencyMs, options } = report;
  const [ms, mib] = [(seconds: number) => `${(seconds * 1000).toFixed(1)} ms`, (bytes: number) => (bytes / MIB).toFixed(1)];
  const memory = (name: string, trendOf: typeof rss) =>
    `  ${name.padEnd(14)}${mib(trendOf.startBytes)} MiB after ${options.warmupSeconds} s warm-up -> ${mib(trendOf.endBytes)} MiB at the end (max ${mib(trendOf.maxBytes)} MiB); ` +
    `trend ${mib(trendOf.slopeBytesPerMinute)} MiB/min, noise ±${mib(trendOf.noiseBytes)} MiB: ${trendOf.flat ? 'no growth beyond noise' : 'GROWING'}`;
  // The smallest leak per request whose fitted growth would exceed the tolerance in this run.
  const leak = rss.toleranceBytes / Math.max(1, traffic.sent * (1 - options.warmupSeconds / options.seconds));
  const slowest = Object.entries(traffic.slowestMs).map(([kind, slowestMs]) => `${kind} ${slowestMs.toFixed(0)} ms`);
  return [
    `soak: ${options.seconds} s at ${options.rate} requests/s against ${options.entry} (Node ${report.nodeVersion}, node options ${JSON.stringify(options.nodeOptions ?? '')}), ${report.samples.length} scrapes of /metrics`,
    `  requests      ${traffic.sent} sent, ${traffic.ok} answered as expected, ${traffic.skipped} skipped (in-flight cap)`,
    `  latency       p50 ${latencyMs.p50.toFixed(2)} ms, p99 ${latencyMs.p99.toFixed(2)} ms, max ${latencyMs.max.toFixed(1)} ms (client side; slowest: ${slowest.join(', ')})`,
    `  RSS at start  ${mib(report.samples[0]?.rssBytes ?? Number.NaN)} MiB (first scrape)`,
    memory('RSS', rss),
    `                (tolerance ${mib(rss.toleranceBytes)} MiB over the run: a leak of ${leak.toFixed(0)} bytes a request or more would show)`,
    memory('heap used', heapUsed),
    `  event loop    p99 delay ${ms(eventLoopP99Seconds.median)} (median of the scrapes), ${ms(eventLoopP99Seconds.max)} (worst scrape); longest delay ${ms(report.eventLoopMaxSeconds)}`,
    `  errors        ${problems.length === 0 ? 'none' : problems.join('\n                ')}`,
  ].join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '120' },
      rate: { type: 'string', default: '300' },
      entry: { type: 'string', default: 'dist/main.js' },
      json: { type: 'string' },
      'node-options': { type: 'string', default: CHART_NODE_OPTIONS },
    },
  });
  const [seconds, rate] = [Number(values.seconds), Number(values.rate)];
  for (const [flag, value] of [
    ['--seconds', seconds],
    ['--rate', rate],
  ] as const) {
    if (!(value > 0)) throw new Error(`${flag} must be a positive number, not ${JSON.stringify(values[flag.slice(2) as 'rate'])}`);
  }
  const report = await runSoak({
    seconds,
    rate,
    entry: values.entry,
    sampleEveryMs: 5_000,
    warmupSeconds: Math.min(15, seconds / 4),
    nodeOptions: values['node-options'],
  });
  const problems = soakErrors(report);
  process.stdout.write(`${render(report, problems)}\n`);
  if (values.json !== undefined) {
    await mkdir(dirname(values.json), { recursive: true });
    await writeFile(values.json, `${JSON.stringify({ ...report, problems }, null, 2)}\n`);
  }
  process.exitCode = problems.length === 0 && report.rss.flat && report.heapUsed.flat ? 0 : 1;
}
