/**
 * One soak run: the webhook as its own process (dist/main.js for `npm run soak`, src/main.ts in
 * the test suite's short run), a steady mix for the given time, /metrics scraped every few
 * seconds, then SIGTERM; the report says memory at start and end, the event-loop delay, and
 * every error — the client's and the webhook's (error-level log lines, stderr, its exit code).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { scrape, trend, type MetricsSample, type Trend } from './soak-metrics.ts';
import { percentile } from './statistics.ts';
import { runTraffic, type TrafficTotals } from './soak-traffic.ts';

export const REPO = new URL('../', import.meta.url).pathname;

export interface SoakOptions {
  readonly seconds: number;
  /** Requests a second. */
  readonly rate: number;
  /** Relative to the repository: dist/main.js (built) or src/main.ts. */
  readonly entry: string;
  readonly sampleEveryMs: number;
  /** Samples before this are warm-up: JIT, pools and caches filling. Not in the trend. */
  readonly warmupSeconds: number;
  /** NODE_OPTIONS for the webhook, e.g. --max-old-space-size=64 to tell a leak from a lazy GC. */
  readonly nodeOptions?: string;
}

export interface SoakReport {
  readonly options: SoakOptions;
  readonly nodeVersion: string;
  readonly traffic: Omit<TrafficTotals, 'errors' | 'latenciesMs'> & { readonly errors: Record<string, number> };
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly samples: readonly MetricsSample[];
  readonly rss: Trend;
  readonly heapUsed: Trend;
  /** Of the per-scrape p99s after warm-up. */
  readonly eventLoopP99Seconds: { readonly median: number; readonly max: number };
  /** The longest single event-loop delay after warm-up. */
  readonly eventLoopMaxSeconds: number;
  readonly webhookErrors: readonly string[];
  readonly exitCode: number | null;
}

interface Webhook {
  readonly admissionPort: number;
  readonly metricsPort: number;
  readonly ca: string;
  readonly errors: string[];
  stop(): Promise<number | null>;
}

async function startWebhook(entry: string, directory: string, nodeOptions: string): Promise<Webhook> {
  const caFile = join(directory, 'ca.crt');
  const child = spawn(
    process.execPath,
    [entry, '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', '--self-signed-ca-file', caFile, '--drain-seconds', '0'],
    {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', NODE_OPTIONS: nodeOptions },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const errors: string[] = [];
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  createInterface({ input: child.stderr }).on('line', (line) => errors.push(`stderr: ${line}`));
  const serving = new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        errors.push(`not a JSON log line: ${line}`);
        return;
      }
      if (Number(entry.level) >= 50) errors.push(`log: ${line}`);
      if (entry.msg === 'snapshot webhook serving') resolve(entry);
    });
    void exited.then((code) => reject(new Error(`the webhook exited (${String(code)}) before serving: ${errors.join('\n')}`)));
  });
  const started = await serving;
  return {
    admissionPort: Number(started.admissionPort),
    metricsPort: Number(started.metricsPort),
    ca: await readFile(caFile, 'utf8'),
    errors,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

function sampler(metricsUrl: string, everyMs: number, startedAt: number): { samples: MetricsSample[]; stop: () => Promise<void> } {
  const samples: MetricsSample[] = [];
  let scraping = Promise.resolve();
  const take = () => {
    scraping = scrape(metricsUrl, (performance.now() - startedAt) / 1000).then(
      (sample) => void samples.push(sample),
      () => undefined,
    );
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    async stop() {
      clearInterval(timer);
      await scraping;
      take();
      await scraping;
    },
  };
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const directory = await mkdtemp(join(tmpdir(), 'snapshot-webhook-soak-'));
  try {
    const webhook = await startWebhook(options.entry, directory, options.nodeOptions ?? '');
    const startedAt = performance.now();
    const metrics = sampler(`http://127.0.0.1:${webhook.metricsPort}/metrics`, options.sampleEveryMs, startedAt);
    const totals = await runTraffic({
      origin: `https://localhost:${webhook.admissionPort}`,
      ca: webhook.ca,
      rate: options.rate,
      durationMs: options.seconds * 1000,
    });
    await metrics.stop();
    const exitCode = await webhook.stop();
    const steady = metrics.samples.filter((sample) => sample.atSeconds >= options.warmupSeconds);
    // A scrape right after another (the last one) has no delays recorded: 0, not a figure.
    const lags = steady.map((sample) => sample.eventLoopP99Seconds).filter((lag) => lag > 0);
    const { errors, latenciesMs, ...counts } = totals;
    return {
      options,
      nodeVersion: process.version,
      traffic: { ...counts, errors: Object.fromEntries(errors) },
      latencyMs: { p50: percentile(latenciesMs, 0.5), p99: percentile(latenciesMs, 0.99), max: Math.max(...latenciesMs) },
      samples: metrics.samples,
      rss: trend(steady.map((sample) => ({ atSeconds: sample.atSeconds, bytes: sample.rssBytes }))),
      heapUsed: trend(steady.map((sample) => ({ atSeconds: sample.atSeconds, bytes: sample.heapUsedBytes }))),
      eventLoopP99Seconds: { median: percentile(lags, 0.5), max: Math.max(...lags) },
      eventLoopMaxSeconds: Math.max(...steady.map((sample) => sample.eventLoopMaxSeconds)),
      webhookErrors: webhook.errors,
      exitCode,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Errors of any kind: what makes the run fail. */
export function soakErrors(report: SoakReport): string[] {
  const problems = Object.entries(report.traffic.errors).map(([error, count]) => `${count}× ${error}`);
  if (report.traffic.skipped > 0) problems.push(`${report.traffic.skipped} requests not sent: ${256} already in flight`);
  if (report.exitCode !== 0) problems.push(`the webhook exited with ${String(report.exitCode)} after SIGTERM`);
  return [...problems, ...report.webhookErrors];
}
