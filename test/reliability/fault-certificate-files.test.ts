import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServingCertificate } from '../../src/tls/certificate.ts';
import { createTestCertificates, issueTestCertificate, type TestCertificates } from '../../testkit/certificates.ts';
import { startWebhook, type WebhookProcess } from '../support/webhook-process.ts';
import { handshake } from '../tls/tls-probe.ts';
import { describeFailures, startLoad } from './support/load.ts';
import { ALLOWED_AND_DENIED } from './support/reviews.ts';
import { SecretVolume, type Pair } from './support/secret-volume.ts';

/**
 * Fault 1: the certificate files are replaced while traffic flows. A Secret volume
 * (the kubelet's symlink swap, three times), and a plain directory (rewritten in place with the
 * key a moment behind the certificate; deleted and recreated; renamed over file by file). The
 * real process, six client connections each: HTTP/2, HTTP/1.1 keep-alive, and HTTP/1.1 with a
 * new handshake every request. Target: zero failed requests.
 */
const REVIEWS = ALLOWED_AND_DENIED;

let certificates: TestCertificates;
let pairs: Pair[];
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  certificates = await createTestCertificates();
  pairs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => issueTestCertificate(certificates.ca)));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function webhookOn(volume: SecretVolume): Promise<WebhookProcess> {
  const webhook = await startWebhook([
    '--tls-cert-file',
    volume.certFile,
    '--tls-private-key-file',
    volume.keyFile,
    '--drain-seconds',
    '0',
  ]);
  cleanups.push(() => volume.remove());
  cleanups.push(async () => {
    webhook.child.kill('SIGTERM');
    await webhook.exited;
  });
  return webhook;
}

/** Waits (bounded) until a new handshake gets this certificate. */
async function served(webhook: WebhookProcess, pair: Pair): Promise<void> {
  const expected = loadServingCertificate(pair.cert, pair.key).fingerprint256;
  const deadline = Date.now() + 5_000;
  while ((await handshake(webhook.admissionPort, { ca: certificates.caCert })).fingerprint256 !== expected) {
    if (Date.now() > deadline) throw new Error('the new certificate was not served within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function underLoad(layout: string, webhook: WebhookProcess, replacements: ReadonlyArray<[Pair, () => Promise<void>]>): Promise<void> {
  const backend = { origin: `https://localhost:${webhook.admissionPort}`, ca: certificates.caCert };
  const load = startLoad({ target: () => backend, reviews: REVIEWS, http2Sessions: 2, http1KeepAlive: 2, http1Fresh: 2, maxMs: 15_000 });
  for (const [pair, replace] of replacements) {
    await new Promise((resolve) => setTimeout(resolve, 400));
    await replace();
    await served(webhook, pair);
  }
  await new Promise((resolve) => setTimeout(resolve, 400));
  const result = await load.stop();
  console.log(
    `certificate files (${layout}) replaced ${replacements.length} times under load: ${result.ok} answered, failures: ${describeFailures(result.failures)}`,
  );
  expect(describeFailures(result.failures)).toBe('none');
  expect(result.ok).toBeGreaterThan(100);
  const changes = webhook.logs.filter((line) => line.msg === 'serving certificate changed on disk; new connections get the new one');
  expect(changes.length).toBe(replacements.length);
}

describe.concurrent('certificate files replaced under load fail no request; new handshakes get each new certificate', () => {
  it('a Secret volume, swapped by the kubelet three times', async () => {
    const volume = await SecretVolume.create(certificates, 'kubelet');
    const webhook = await webhookOn(volume);
    const [a, b, c] = pairs as [Pair, Pair, Pair];
    await underLoad(
      'Secret volume',
      webhook,
      [a, b, c].map((pair) => [pair, () => volume.swap(pair)] as [Pair, () => Promise<void>]),
    );
  });

  it('a plain directory: rewritten in place, deleted and recreated, renamed over', async () => {
    const volume = await SecretVolume.create(certificates, 'plain');
    const webhook = await webhookOn(volume);
    const [, , , d, e, f] = pairs as [Pair, Pair, Pair, Pair, Pair, Pair];
    await underLoad('plain directory', webhook, [
      [d, () => volume.rewriteInPlace(d)],
      [e, () => volume.deleteAndRecreate(e)],
      [f, () => volume.renameOver(f)],
    ]);
  });
});
