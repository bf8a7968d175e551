import { X509Certificate } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type WebhookApp } from '../../src/app.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { CertificateSource } from '../../src/tls/certificate-source.ts';
import { caBundlesOf } from '../../src/tls/self-managed/ca-bundle.ts';
import type { CertificateLifetimes } from '../../src/tls/self-managed/rotation.ts';
import { startSelfManagedCertificates } from '../../src/tls/self-managed/certificates.ts';
import { attachCertificateReload, serverTlsOptions } from '../../src/tls/server-tls.ts';
import { ADMISSION_REGISTRATION_GROUP, CORE_GROUP } from '../../testkit/api-groups.ts';
import { FakeApiServer, type ResourceRef } from '../../testkit/fake-api-server.ts';
import { describeFailures, startLoad, type Backend } from './support/load.ts';
import { ALLOWED_AND_DENIED } from './support/reviews.ts';

/**
 * A full CA rotation of self-managed certificates under load, two replicas sharing the
 * Secret. Lifetimes are shrunk so that the whole sequence takes seconds: the serving
 * certificate is renewed, a new CA joins the caBundle, a certificate it signed is served
 * propagationMs later, the old CA leaves the bundle. Clients do as the API server: every new
 * connection trusts the caBundle of the ValidatingWebhookConfiguration as it was a moment ago
 * (0 or 250 ms, less than propagationMs), and open connections are kept. Target: zero failed
 * handshakes, zero failed requests.
 */
const NAMESPACE = 'webhook-system';
const SERVICE = { namespace: NAMESPACE, name: 'snapshot-webhook' };
const SERVER_NAME = 'snapshot-webhook.webhook-system.svc';
const CONFIGURATION = 'snapshot-webhook';
const CONFIGURATIONS: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations' };
// Short enough to see a whole CA rotation; a serving certificate renews 2.5 s before it expires,
// slack for a machine busy with other tests (1.5 s was seen to run out).
const ROTATING: CertificateLifetimes = { caMs: 10_000, servingMs: 5_000, renewFraction: 0.5, propagationMs: 500 };
const LAGS_MS = [0, 250];

const REVIEWS = ALLOWED_AND_DENIED;

let api: FakeApiServer;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  api = await FakeApiServer.start({ groups: [CORE_GROUP, ADMISSION_REGISTRATION_GROUP] });
  api.createObject(CONFIGURATIONS, {
    metadata: { name: CONFIGURATION },
    webhooks: [{ name: 'snapshot.webhook.io', clientConfig: { service: { ...SERVICE, path: '/validate' } } }],
  });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await api.close();
});

/** A replica as serve() wires it: self-managed certificates, the real app, reload on change. */
async function startReplica(): Promise<{ source: CertificateSource; app: WebhookApp; port: number }> {
  const logger = pino({ level: 'silent' });
  const source = await startSelfManagedCertificates({
    kubeConfig: api.kubeConfig(),
    secret: { namespace: NAMESPACE, name: 'snapshot-webhook-tls' },
    service: SERVICE,
    webhookConfiguration: CONFIGURATION,
    logger,
    pollIntervalMs: 50,
    lifetimes: ROTATING,
  });
  const app = buildApp({
    tls: serverTlsOptions(source.current()),
    logger,
    cluster: { snapshotClasses: null, groupSnapshotClasses: null },
    ruleOptions: { preventVolumeModeConversion: true },
    metrics: createMetrics(),
    bodyLimitBytes: 8 * 1024 * 1024,
    keepAliveTimeoutMs: 120_000,
  });
  const stopReload = attachCertificateReload(app.server, source);
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(
    () => source.close(),
    stopReload,
    () => app.close(),
  );
  const address = app.server.address();
  return { source, app, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

function caBundle(): string {
  return caBundlesOf(api.getObject(CONFIGURATIONS, CONFIGURATION) ?? {})[0] ?? '';
}

function fingerprints(bundle: string): string[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map(
    (text) => new X509Certificate(text).fingerprint256,
  );
}

describe('self-managed certificates, a full CA rotation under load', () => {
  it('fails no handshake and no request on two replicas, the API server trusting the caBundle of a moment ago', async () => {
    const replicas = [await startReplica(), await startReplica()];
    const firstCa = fingerprints(caBundle())[0] ?? '';
    // What the API server would trust: the caBundle as it was LAGS_MS ago, read every 20 ms.
    const history: Array<{ at: number; bundle: string }> = [{ at: Date.now(), bundle: caBundle() }];
    const recorder = setInterval(() => history.push({ at: Date.now(), bundle: caBundle() }), 20);
    cleanups.push(() => clearInterval(recorder));
    const bundleAsOf = (lagMs: number) =>
      [...history].reverse().find((entry) => entry.at <= Date.now() - lagMs)?.bundle ?? history[0]?.bundle ?? '';
    let turn = 0;
    const target = (): Backend => {
      turn += 1;
      const replica = replicas[turn % replicas.length] as (typeof replicas)[0];
      return { origin: `https://127.0.0.1:${replica.port}`, servername: SERVER_NAME, ca: bundleAsOf(LAGS_MS[turn % LAGS_MS.length] ?? 0) };
    };
    const served = new Set<string>();
    const sampler = setInterval(() => replicas.forEach((replica) => served.add(replica.source.current().fingerprint256)), 20);
    cleanups.push(() => clearInterval(sampler));
    const load = startLoad({ target, reviews: REVIEWS, http2Sessions: 2, http1KeepAlive: 2, http1Fresh: 3, maxMs: 30_000 });

    // Over when the first CA has left the caBundle (about 10 s), bounded.
    const deadline = Date.now() + 25_000;
    while (fingerprints(caBundle()).includes(firstCa) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await load.stop();
    const finalCas = fingerprints(caBundle());
    console.log(
      `CA rotation under load (two replicas): ${served.size} serving certificates and ${new Set(history.flatMap((entry) => fingerprints(entry.bundle))).size} CAs seen; ` +
        `${result.ok} answered (${result.byClient.get('http1-fresh') ?? 0} on a new connection each), failures: ${describeFailures(result.failures)}`,
    );
    // The first CA is gone (with lifetimes this short, the next rotation may have begun already).
    expect(finalCas).not.toContain(firstCa);
    expect(finalCas.length).toBeGreaterThanOrEqual(1);
    expect(served.size).toBeGreaterThanOrEqual(3);
    expect(describeFailures(result.failures)).toBe('none');
    expect(result.ok).toBeGreaterThan(200);
  }, 45_000);
});
