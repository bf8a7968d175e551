import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCertificates } from '../../testkit/certificates.ts';
import { startWebhook, type WebhookProcess } from '../support/webhook-process.ts';
import { describeFailures, startLoad, type Backend } from './support/load.ts';
import { ALLOWED_AND_DENIED } from './support/reviews.ts';

/**
 * Fault 4: a rolling restart under constant traffic. A second instance starts, the
 * first gets SIGTERM; a stand-in for the Service's endpoints (polling /readyz every 100 ms, as
 * the kubelet's probe and the endpoints controller would, only faster) sends new requests to the
 * instances that are ready. Target: zero failed requests — the only excusable ones would be
 * sent to the old instance after it stopped accepting, which its drain period must prevent.
 */
const REVIEWS = ALLOWED_AND_DENIED;
const DRAIN_SECONDS = 1.5;
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Instance {
  readonly name: string;
  readonly webhook: WebhookProcess;
  readonly backend: Backend;
  ready: boolean;
  /** When the process exited, ms since the load started (Infinity while it runs). */
  exitedAt: number;
}

/** The endpoints of a Service: the instances whose /readyz says 200, looked at every 100 ms. */
function watchEndpoints(instances: Instance[]): () => void {
  let stopped = false;
  const poll = async () => {
    while (!stopped) {
      await Promise.all(
        instances.map(async (instance) => {
          instance.ready = await fetch(`http://127.0.0.1:${instance.webhook.metricsPort}/readyz`, {
            signal: AbortSignal.timeout(500),
          }).then(
            (response) => response.status === 200,
            () => false,
          );
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  void poll();
  return () => {
    stopped = true;
  };
}

describe('a rolling restart under load', () => {
  it('fails no request: the old instance drains while the new one takes over', async () => {
    const certificates = await createTestCertificates();
    const directory = await mkdtemp(join(tmpdir(), 'snapshot-webhook-rolling-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    await writeFile(join(directory, 'tls.crt'), certificates.cert);
    await writeFile(join(directory, 'tls.key'), certificates.key);
    const args = [
      '--tls-cert-file',
      join(directory, 'tls.crt'),
      '--tls-private-key-file',
      join(directory, 'tls.key'),
      '--drain-seconds',
      String(DRAIN_SECONDS),
    ];
    const instances: Instance[] = [];
    const start = async (name: string) => {
      const webhook = await startWebhook(args);
      cleanups.push(async () => {
        webhook.child.kill('SIGKILL');
        await webhook.exited;
      });
      const instance: Instance = {
        name,
        webhook,
        backend: { origin: `https://localhost:${webhook.admissionPort}`, ca: certificates.caCert },
        ready: false,
        exitedAt: Number.POSITIVE_INFINITY,
      };
      instances.push(instance);
      return instance;
    };
    const old = await start('old');
    const stopWatching = watchEndpoints(instances);
    let next = 0;
    const target = () => {
      const ready = instances.filter((instance) => instance.ready);
      next += 1;
      return ready[next % Math.max(1, ready.length)]?.backend;
    };
    const load = startLoad({ target, reviews: REVIEWS, http2Sessions: 2, http1KeepAlive: 2, http1Fresh: 1, maxMs: 20_000 });
    void old.webhook.exited.then(() => (old.exitedAt = Date.now() - load.result.startedAt));

    await new Promise((resolve) => setTimeout(resolve, 500));
    const fresh = await start('new');
    const deadline = Date.now() + 10_000;
    while (!fresh.ready && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fresh.ready).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    old.webhook.child.kill('SIGTERM');
    expect(await old.webhook.exited).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await load.stop();
    stopWatching();

    const late = result.failures.filter((failure) => failure.origin === old.backend.origin && failure.at >= old.exitedAt);
    const perInstance = instances.map((instance) => `${instance.name} ${result.byOrigin.get(instance.backend.origin) ?? 0}`).join(', ');
    console.log(
      `rolling restart under load: ${result.ok} answered (${perInstance}); failures: ${describeFailures(result.failures)}; ` +
        `of them sent after the old instance stopped: ${late.length}`,
    );
    expect(describeFailures(result.failures)).toBe('none');
    expect(result.byOrigin.get(fresh.backend.origin) ?? 0).toBeGreaterThan(50);
    expect(old.webhook.logs.map((line) => line.msg)).toContain('shut down');
  });
});
