/**
 * `npm run soak`: the built webhook (node dist/main.js, its own process) under a steady mix of
 * reviews for a while; reports RSS and heap at start and end (after a warm-up) with the fitted
 * trend, the event-loop delay p99 from the webhook's /metrics, client latency, and any error.
 * Exits 1 on an error or on memory growth beyond the noise.
 *
 *   npm run soak                       2 minutes at 300 requests/s
 *   npm run soak -- --seconds 60       a minute
 *   npm run soak -- --rate 1000 --json .tmp/soak.json
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { mib } from './statistics.ts';
import { runSoak, soakErrors, type SoakReport } from './soak-run.ts';

/** What the chart's defaults set (NODE_OPTIONS from its 384 MiB memory limit, heap.* values). */
const DEFAULT_NODE_OPTIONS = '--max-old-space-size=192 --max-semi-space-size=2';

const HELP = `npm run soak -- [options]
  --seconds N     how long the traffic runs (default 120)
  --rate N        requests a second (default 300: steady, not a throughput test)
  --entry FILE    the webhook to run (default dist/main.js; src/main.ts runs the sources)
  --node-options S  NODE_OPTIONS for the webhook (default "${DEFAULT_NODE_OPTIONS}", what
                    the chart's defaults set; '' for Node's default, which on a big machine lets
                    garbage pile up to gigabytes before a full GC and makes RSS climb without a leak)
  --json FILE     also write the report as JSON
  --help
`;

function positive(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0)) throw new Error(`${flag} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

/** The smallest per-request leak whose fitted growth would exceed the tolerance in this run. */
function leakPerRequest(report: SoakReport): number {
  const steadyShare = 1 - report.options.warmupSeconds / report.options.seconds;
  return report.rss.toleranceBytes / Math.max(1, report.traffic.sent * steadyShare);
}

function render(report: SoakReport, problems: readonly string[]): string {
  const { traffic, rss, heapUsed, eventLoopP99Seconds, latencyMs, options } = report;
  const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
  return [
    `soak: ${options.seconds} s at ${options.rate} requests/s against ${options.entry} (Node ${report.nodeVersion}, NODE_OPTIONS=${JSON.stringify(options.nodeOptions ?? '')}), ` +
      `${report.samples.length} scrapes of /metrics`,
    `  requests      ${traffic.sent} sent, ${traffic.ok} answered as expected, ${traffic.skipped} skipped (in-flight cap)`,
    `  latency       p50 ${latencyMs.p50.toFixed(2)} ms, p99 ${latencyMs.p99.toFixed(2)} ms, max ${latencyMs.max.toFixed(1)} ms (client side; slowest: ` +
      `${Object.entries(traffic.slowestMs)
        .map(([kind, slowest]) => `${kind} ${slowest.toFixed(0)} ms`)
        .join(', ')})`,
    `  RSS           ${mib(report.samples[0]?.rssBytes ?? Number.NaN)} MiB at the first scrape (start), ` +
      `${mib(rss.startBytes)} MiB after ${options.warmupSeconds} s warm-up -> ${mib(rss.endBytes)} MiB at the end (max ${mib(rss.maxBytes)} MiB); ` +
      `trend ${mib(rss.slopeBytesPerMinute)} MiB/min, noise ±${mib(rss.noiseBytes)} MiB: ${rss.flat ? 'no growth beyond noise' : 'GROWING'}`,
    `                (tolerance ${mib(rss.toleranceBytes)} MiB over the run: a leak of ${leakPerRequest(report).toFixed(0)} bytes a request or more would show)`,
    `  heap used     ${mib(heapUsed.startBytes)} MiB -> ${mib(heapUsed.endBytes)} MiB (max ${mib(heapUsed.maxBytes)} MiB); trend ${mib(heapUsed.slopeBytesPerMinute)} MiB/min, noise ±${mib(heapUsed.noiseBytes)} MiB: ${heapUsed.flat ? 'no growth beyond noise' : 'GROWING'}`,
    `  event loop    p99 delay ${ms(eventLoopP99Seconds.median)} (median of the scrapes), ${ms(eventLoopP99Seconds.max)} (worst scrape); longest delay ${ms(report.eventLoopMaxSeconds)}`,
    `  errors        ${problems.length === 0 ? 'none' : problems.join('\n                ')}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      rate: { type: 'string' },
      entry: { type: 'string' },
      json: { type: 'string' },
      'node-options': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const seconds = positive(values.seconds, 120, '--seconds');
  const report = await runSoak({
    seconds,
    rate: positive(values.rate, 300, '--rate'),
    entry: values.entry ?? 'dist/main.js',
    sampleEveryMs: 5_000,
    warmupSeconds: Math.min(15, seconds / 4),
    nodeOptions: values['node-options'] ?? DEFAULT_NODE_OPTIONS,
  });
  const problems = soakErrors(report);
  process.stdout.write(`${render(report, problems)}\n`);
  if (values.json !== undefined) {
    await mkdir(dirname(values.json), { recursive: true });
    await writeFile(values.json, `${JSON.stringify({ ...report, problems }, null, 2)}\n`);
  }
  return problems.length === 0 && report.rss.flat && report.heapUsed.flat ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
