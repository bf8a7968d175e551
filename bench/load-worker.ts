/**
 * The HTTP/1.1 load generator, in a process of its own (forked by bench/load.ts), so that it never
 * shares an event loop with the servers or the bench's bookkeeping. It takes one job at a time
 * over IPC, runs autocannon (keep-alive, HTTPS) and answers with the counts and a latency
 * histogram in microseconds: autocannon's own histogram keeps whole milliseconds, too coarse
 * for answers that take a fraction of one.
 *
 * autocannon does not verify the server's certificate (it connects with rejectUnauthorized:
 * false whatever it is told), so no CA is needed here; bench/preflight.ts checks the answers
 * over a verifying client before any load.
 */
import { createHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { LoadJob, LoadResult } from './load.ts';

async function run(job: LoadJob): Promise<LoadResult> {
  const latency = createHistogram();
  const statuses: Record<string, number> = {};
  const requests = job.bodies.map((body) => ({ method: 'POST' as const, body }));
  let clientIndex = 0;
  const result = await autocannon({
    url: job.url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: job.connections,
    duration: job.durationSeconds,
    requests,
    // Connections start at different reviews of the mix, so the server sees the mix at all times.
    setupClient: (client) => {
      const offset = clientIndex % requests.length;
      clientIndex += 1;
      client.setRequests([...requests.slice(offset), ...requests.slice(0, offset)]);
      client.on('response', (statusCode: number, _bytes: number, responseTimeMs: number) => {
        latency.record(Math.max(1, Math.round(responseTimeMs * 1000)));
        statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      });
    },
  });
  const completed = latency.count;
  return {
    requests: completed,
    durationSeconds: result.duration,
    requestsPerSecond: completed / result.duration,
    latencyMs: {
      p50: latency.percentile(50) / 1000,
      p99: latency.percentile(99) / 1000,
      p999: latency.percentile(99.9) / 1000,
      max: latency.max / 1000,
      mean: latency.mean / 1000,
    },
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
    statuses,
  };
}

process.on('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
