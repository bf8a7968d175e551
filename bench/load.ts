/**
 * The bench's side of the load generators: autocannon in its own process (bench/load-worker.ts)
 * for HTTP/1.1, and h2load (nghttp2-client, optional) for HTTP/2. Both return a LoadResult.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from './statistics.ts';

export interface LoadJob {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly bodies: readonly string[];
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  /** Milliseconds, measured by the load generator from request sent to response read. */
  readonly latencyMs: LatencySummary;
  /** Connection errors, timeouts and answers other than 2xx. */
  readonly errors: number;
  readonly statuses: Readonly<Record<string, number>>;
}

type WorkerAnswer = { ok: true; result: LoadResult } | { ok: false; error: string };

/** The autocannon process: one job at a time. */
export class HttpLoadGenerator {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static start(): HttpLoadGenerator {
    const child = fork(new URL('./load-worker.ts', import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new HttpLoadGenerator(child);
  }

  async run(job: LoadJob): Promise<LoadResult> {
    this.#child.send(job);
    const [answer] = (await once(this.#child, 'message')) as [WorkerAnswer];
    if (!answer.ok) throw new Error(`load generator: ${answer.error}`);
    return answer.result;
  }

  async stop(): Promise<void> {
    const exited = once(this.#child, 'exit');
    this.#child.kill('SIGTERM');
    await exited;
  }
}

/** Whether h2load is on PATH. */
export function h2loadAvailable(): boolean {
  return spawnSync('h2load', ['--version'], { stdio: 'ignore' }).status === 0;
}

export const H2LOAD_MISSING_NOTE =
  'h2load not found on PATH: the HTTP/2 section was skipped. kube-apiserver speaks HTTP/2 to the webhook; ' +
  'to measure it too, install nghttp2-client (Debian/Ubuntu: apt-get install -y nghttp2-client) and run the bench again.';

export interface H2Job {
  readonly url: string;
  /** HTTP/2 connections, each with `streams` requests in flight. */
  readonly connections: number;
  readonly streams: number;
  readonly durationSeconds: number;
  /** h2load sends one body for every request. */
  readonly body: string;
}

/**
 * h2load for the duration, its per-request log read back for the latency percentiles (its summary
 * has none). No warm-up period: the servers are warm by then, and the server's CPU time of the
 * run must cover the same requests the log does.
 */
export async function runH2load(job: H2Job): Promise<LoadResult> {
  const directory = await mkdtemp(join(tmpdir(), 'snapshot-bench-h2-'));
  try {
    const bodyFile = join(directory, 'body.json');
    const logFile = join(directory, 'requests.log');
    await writeFile(bodyFile, job.body);
    const args = [
      ...['-c', String(job.connections), '-m', String(job.streams), '-t', '1'],
      ...['-D', `${Math.round(job.durationSeconds * 1000)}ms`],
      ...['-d', bodyFile, '-H', 'content-type: application/json', '--log-file', logFile, job.url],
    ];
    const output = await runToEnd('h2load', args);
    return h2loadResult(output, await readFile(logFile, 'utf8'), job.durationSeconds);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

async function runToEnd(command: string, args: readonly string[]): Promise<string> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${command} exited with ${code}: ${output}`);
  return output;
}

/** h2load's summary for the counts; its log (start µs, status, duration µs per request) for latencies. */
export function h2loadResult(summary: string, log: string, durationSeconds: number): LoadResult {
  const durations: number[] = [];
  const statuses: Record<string, number> = {};
  for (const line of log.split('\n')) {
    const [, status, duration] = line.split('\t');
    if (status === undefined || duration === undefined) continue;
    durations.push(Number(duration) / 1000);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  durations.sort((a, b) => a - b);
  const failed = Number(
    /requests: .*?(\d+) failed, (\d+) errored, (\d+) timeout/
      .exec(summary)
      ?.slice(1)
      .reduce((sum, n) => sum + Number(n), 0) ?? 0,
  );
  const non2xx = Object.entries(statuses)
    .filter(([status]) => !status.startsWith('2'))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    requests: durations.length,
    durationSeconds,
    requestsPerSecond: durations.length / durationSeconds,
    latencyMs: summarize(durations),
    errors: failed + non2xx,
    statuses,
  };
}

/** Percentiles of sorted values (nearest rank). */
export function summarize(sorted: readonly number[]): LatencySummary {
  const at = (percent: number) => (sorted.length === 0 ? 0 : percentile(sorted, percent / 100));
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return { p50: at(50), p99: at(99), p999: at(99.9), max: sorted.at(-1) ?? 0, mean };
}
