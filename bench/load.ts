/**
 * The load generators: autocannon for HTTP/1.1 (keep-alive), in a process of its own so that it
 * never shares an event loop with the bench's bookkeeping, and h2load (nghttp2-client) for HTTP/2.
 * Latencies go into a microsecond histogram: autocannon's own keeps whole milliseconds, and
 * h2load's summary has no percentiles (its per-request log does).
 *
 * autocannon does not verify the server's certificate whatever it is told; the bench's preflight
 * checks the answers over verifying clients before any load.
 */
import { execFile, fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface LoadJob {
  readonly url: string;
  readonly connections: number;
  /** HTTP/2 only: requests in flight on each connection. */
  readonly streams?: number;
  readonly durationSeconds: number;
  /** Sent in turn by each connection. h2load sends one body. */
  readonly bodies: readonly string[];
}

export interface LoadResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** From request sent to response read, by the load generator. */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly p999: number };
  /** Connection errors, timeouts and answers other than 2xx. */
  readonly errors: number;
  readonly statuses: Readonly<Record<string, number>>;
}

function resultOf(latencyUs: RecordableHistogram, seconds: number, errors: number, statuses: Record<string, number>): LoadResult {
  const ms = (percent: number) => (latencyUs.count === 0 ? 0 : latencyUs.percentile(percent) / 1000);
  const latencyMs = { p50: ms(50), p99: ms(99), p999: ms(99.9) };
  return { requests: latencyUs.count, requestsPerSecond: latencyUs.count / seconds, latencyMs, errors, statuses };
}

async function autocannonRun(job: LoadJob): Promise<LoadResult> {
  const { default: autocannon } = await import('autocannon');
  const latencyUs = createHistogram();
  const statuses: Record<string, number> = {};
  const requests = job.bodies.map((body) => ({ method: 'POST' as const, body }));
  let clients = 0;
  const result = await autocannon({
    url: job.url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: job.connections,
    duration: job.durationSeconds,
    requests,
    // Connections start at different reviews of the mix, so the server sees the mix at all times.
    setupClient: (client) => {
      const offset = clients++ % requests.length;
      client.setRequests([...requests.slice(offset), ...requests.slice(0, offset)]);
      client.on('response', (status: number, _bytes: number, responseMs: number) => {
        latencyUs.record(Math.max(1, Math.round(responseMs * 1000)));
        statuses[status] = (statuses[status] ?? 0) + 1;
      });
    },
  });
  return resultOf(latencyUs, result.duration, result.errors + result.timeouts + result.non2xx + result.mismatches, statuses);
}

/** h2load for the duration; its per-request log (start, status, duration in µs) gives the latencies. */
async function h2loadRun(job: LoadJob): Promise<LoadResult> {
  const directory = await mkdtemp(join(tmpdir(), 'snapshot-bench-h2-'));
  try {
    const [bodyFile, logFile] = [join(directory, 'body.json'), join(directory, 'requests.log')];
    await writeFile(bodyFile, job.bodies[0] ?? '');
    const args = ['-c', String(job.connections), '-m', String(job.streams ?? 1), '-t', '1', '-D', `${job.durationSeconds * 1000}ms`];
    // Not spawnSync: the bench samples the server's memory while the load runs.
    const run = await execFileAsync('h2load', [
      ...args,
      '-d',
      bodyFile,
      '-H',
      'content-type: application/json',
      '--log-file',
      logFile,
      job.url,
    ]);
    const summary = `${run.stdout}${run.stderr}`;
    const latencyUs = createHistogram();
    const statuses: Record<string, number> = {};
    for (const [, status, duration] of (await readFile(logFile, 'utf8')).split('\n').map((line) => line.split('\t'))) {
      if (status === undefined || duration === undefined) continue;
      latencyUs.record(Math.max(1, Number(duration)));
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    const failed = /requests: .*?(\d+) failed, (\d+) errored, (\d+) timeout/.exec(summary)?.slice(1).map(Number) ?? [];
    const non2xx = Object.entries(statuses).filter(([status]) => !status.startsWith('2'));
    const errors = [...failed, ...non2xx.map(([, count]) => count)].reduce((sum, count) => sum + count, 0);
    return resultOf(latencyUs, job.durationSeconds, errors, statuses);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** The h2load on PATH, or undefined. */
export function h2loadVersion(): string | undefined {
  const run = spawnSync('h2load', ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim().split('\n')[0] : undefined;
}

export const H2LOAD_MISSING =
  'h2load not found on PATH: the HTTP/2 section was skipped. kube-apiserver speaks HTTP/2 to the webhook; to measure it too, ' +
  'install nghttp2-client (Debian/Ubuntu: apt-get install -y nghttp2-client) and run the bench again.';

type WorkerAnswer = { ok: true; result: LoadResult } | { ok: false; error: string };

/** HTTP/1.1 jobs go to the autocannon process (one at a time), HTTP/2 jobs (with `streams`) to h2load. */
export class LoadGenerator {
  readonly #worker = fork(import.meta.filename, ['--autocannon-worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  async run(job: LoadJob): Promise<LoadResult> {
    if (job.streams !== undefined) return h2loadRun(job);
    this.#worker.send(job);
    const [answer] = (await once(this.#worker, 'message')) as [WorkerAnswer];
    if (!answer.ok) throw new Error(`load generator: ${answer.error}`);
    return answer.result;
  }

  async stop(): Promise<void> {
    const exited = once(this.#worker, 'exit');
    this.#worker.kill('SIGTERM');
    await exited;
  }
}

if (process.argv[2] === '--autocannon-worker') {
  process.on('message', (job: LoadJob) => {
    autocannonRun(job).then(
      (result) => process.send?.({ ok: true, result } satisfies WorkerAnswer),
      (error: unknown) => process.send?.({ ok: false, error: String(error) } satisfies WorkerAnswer),
    );
  });
}
