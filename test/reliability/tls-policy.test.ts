import { writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../support/temporary-directory.ts';
import { reviewFrom } from '../../testkit/captures.ts';
import { createTestCertificates, rsaCertificate, type TestCertificates } from '../../testkit/certificates.ts';
import { http2Client, postHttp1 } from '../../testkit/clients.ts';
import { runToExit, startWebhook, type WebhookProcess } from '../support/webhook-process.ts';
import { handshake, OLD_TLS_CLIENT, permissiveServerProtocol } from '../tls/tls-probe.ts';
import { hangup } from './support/raw-clients.ts';

/**
 * Issue 6, TLS and ports, against the real process: TLS 1.0/1.1 refused (a permissive server
 * accepts the same client, so the refusal is the webhook's); certificates with weak signatures or
 * keys too weak for OpenSSL refused at start-up with a clear error, and not taken up when they
 * appear on disk later; the
 * admission port never answers plain HTTP with a review; the metrics port carries nothing of
 * what reviews contain, and its series do not grow with what callers send.
 */
const MARKER = 'zq7marker';

let certificates: TestCertificates;
const inDirectory = temporaryDirectory('snapshot-webhook-tls-');
let webhook: WebhookProcess;

async function writePair(name: string, pair: { cert: string; key: string }): Promise<{ certFile: string; keyFile: string }> {
  const certFile = inDirectory(`${name}.crt`);
  const keyFile = inDirectory(`${name}.key`);
  await writeFile(certFile, pair.cert);
  await writeFile(keyFile, pair.key);
  return { certFile, keyFile };
}

beforeAll(async () => {
  certificates = await createTestCertificates();
  const files = await writePair('tls', certificates);
  webhook = await startWebhook(['--tls-cert-file', files.certFile, '--tls-private-key-file', files.keyFile, '--drain-seconds', '0']);
});

afterAll(async () => {
  webhook.child.kill('SIGTERM');
  await webhook.exited;
});

describe('TLS versions', () => {
  it('refuses TLS 1.0 and 1.1 (a permissive server accepts the same client) and speaks 1.2 and 1.3', async () => {
    for (const maxVersion of ['TLSv1', 'TLSv1.1'] as const) {
      await expect(handshake(webhook.admissionPort, { ca: certificates.caCert, ...OLD_TLS_CLIENT, maxVersion })).rejects.toThrow(
        /protocol version|unsupported protocol/i,
      );
    }
    expect(await permissiveServerProtocol(certificates)).toBe('TLSv1.1');
    expect((await handshake(webhook.admissionPort, { ca: certificates.caCert, maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2');
    expect((await handshake(webhook.admissionPort, { ca: certificates.caCert })).protocol).toBe('TLSv1.3');
  });
});

describe('certificates with weak signatures', () => {
  it.each(['ec', 'rsa'] as const)(
    'a SHA-1 signed %s certificate stops the start with exit 1, naming the file and the algorithm',
    async (keyType) => {
      const weak = await generate([{ name: 'commonName', value: 'localhost' }], { keyType, algorithm: 'sha1' });
      const files = await writePair(`weak-${keyType}`, { cert: weak.cert, key: weak.private });
      const { code, stderr } = await runToExit(['--tls-cert-file', files.certFile, '--tls-private-key-file', files.keyFile]);
      expect(code).toBe(1);
      expect(stderr).toContain('SVW_ERR_CERTIFICATE_INVALID');
      expect(stderr).toContain(files.certFile);
      expect(stderr).toMatch(/weak algorithm (ecdsa-with-SHA1|sha1WithRSAEncryption)/);
    },
  );

  it('a SHA-1 certificate that appears on disk later is not served: the previous one stays, and the log says why', async () => {
    const weak = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha1' });
    const served = (await handshake(webhook.admissionPort, { ca: certificates.caCert })).fingerprint256;
    await writePair('tls', { cert: weak.cert, key: weak.private });
    const refused = await webhook.waitForLog((line) => String(line.error).includes('weak algorithm'), 5_000);
    expect(refused.msg).toBe('the certificate files cannot be used (yet); still serving the previous certificate');
    expect((await handshake(webhook.admissionPort, { ca: certificates.caCert })).fingerprint256).toBe(served);
    await writePair('tls', certificates);
  });
});

describe('certificates with weak keys', () => {
  // Before the check, OpenSSL refused these when the server built its TLS context: exit 1 with a
  // bare "error:0A00018F:SSL routines::ee key too small" stack trace naming neither file nor fix.
  it('a 1024-bit RSA certificate signed with SHA-256 stops the start with exit 1, naming the file and the key', async () => {
    const weak = await rsaCertificate(1024);
    const files = await writePair('weak-rsa-1024', weak);
    const { code, stderr } = await runToExit(['--tls-cert-file', files.certFile, '--tls-private-key-file', files.keyFile]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `SVW_ERR_CERTIFICATE_INVALID: cannot use the serving certificate: certificate file ${files.certFile}: CN=localhost has a weak key, 1024-bit RSA`,
    );
    expect(stderr).toContain('reissue it with a 2048-bit RSA or a P-256 EC key');
    expect(stderr).not.toMatch(/SSL routines|key too small/);
  });

  it('so does a weak intermediate after a strong leaf in the file, named as the weak one', async () => {
    const root = await rsaCertificate(2048, { commonName: 'strong root', isCa: true });
    const intermediate = await rsaCertificate(1024, { commonName: 'weak intermediate', ca: root, isCa: true });
    const leaf = await rsaCertificate(2048, { ca: intermediate });
    const files = await writePair('weak-intermediate', { cert: `${leaf.cert}\n${intermediate.cert}\n`, key: leaf.key });
    const { code, stderr } = await runToExit(['--tls-cert-file', files.certFile, '--tls-private-key-file', files.keyFile]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `SVW_ERR_CERTIFICATE_INVALID: cannot use the serving certificate: certificate file ${files.certFile}: CN=weak intermediate has a weak key, 1024-bit RSA`,
    );
  });

  it('a weak-key certificate that appears on disk later is not served: the previous one stays, and the log says why', async () => {
    const weak = await rsaCertificate(1024);
    const served = (await handshake(webhook.admissionPort, { ca: certificates.caCert })).fingerprint256;
    const logged = webhook.logs.length;
    await writePair('tls', weak);
    const refused = await webhook.waitForLog((line) => String(line.error).includes('has a weak key, 1024-bit RSA'), 5_000);
    expect(refused.msg).toBe('the certificate files cannot be used (yet); still serving the previous certificate');
    expect((await handshake(webhook.admissionPort, { ca: certificates.caCert })).fingerprint256).toBe(served);
    const since = webhook.logs.slice(logged).map((line) => line.msg);
    expect(since).not.toContain('serving certificate changed on disk; new connections get the new one');
    expect(since).not.toContain('applying the new serving certificate failed');
    await writePair('tls', certificates);
  });
});

describe('the admission port and plain HTTP', () => {
  it.each([
    [
      'an HTTP/1.1 POST of a review',
      (body: string) =>
        `POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    ],
    ['an HTTP/2 cleartext preface', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ])('%s gets no review back, and the connection is closed', async (_name, request) => {
    const socket = connectTcp({ port: webhook.admissionPort, host: '127.0.0.1' });
    const startedAt = Date.now();
    const closed = hangup(socket, startedAt, 5_000);
    socket.write(request(JSON.stringify(reviewFrom('02'))));
    const result = await closed;
    expect(result.afterMs).toBeLessThan(5_000);
    expect(result.received).not.toMatch(/AdmissionReview|"response"|HTTP\/1\.1 200/);
  });
});

/** Every string a caller controls in a review, carrying the marker. */
function markedReviews(): object[] {
  const mark = (review: ReturnType<typeof reviewFrom>, index: number) => {
    const request = review.request as Record<string, unknown> & { object: { metadata: Record<string, unknown> } };
    request.uid = `${MARKER}-uid-${index}`;
    request.name = `${MARKER}-name`;
    request.namespace = `${MARKER}-namespace`;
    request.userInfo = { username: `${MARKER}-user`, groups: [`${MARKER}-group`] };
    request.object.metadata.name = `${MARKER}-object`;
    request.object.metadata.labels = { [`${MARKER}-label`]: `${MARKER}-value` };
    request.object.metadata.annotations = { [`${MARKER}-annotation`]: `${MARKER}-value` };
  };
  const reviews: object[] = [];
  for (let index = 0; index < 40; index += 1) {
    reviews.push(reviewFrom('02', (review) => mark(review, index)));
    reviews.push(
      reviewFrom('02', (review) => {
        mark(review, index);
        (review.request.object as { spec: object }).spec = {
          source: { persistentVolumeClaimName: `${MARKER}-pvc`, volumeSnapshotContentName: `${MARKER}-content` },
        };
      }),
    );
    // Kinds and resources the webhook does not know, and a kind that lies about the resource.
    reviews.push(
      reviewFrom('02', (review) => {
        mark(review, index);
        review.request.resource = { group: `${MARKER}.example.com`, version: `v${index}`, resource: `${MARKER}${index}` };
        review.request.kind = { group: `${MARKER}.example.com`, version: `v${index}`, kind: `${MARKER}Kind${index}` };
      }),
    );
    reviews.push(
      reviewFrom('02', (review) => {
        mark(review, index);
        review.request.kind = { group: `${MARKER}.example.com`, version: 'v1', kind: `${MARKER}Kind${index}` };
      }),
    );
  }
  return reviews;
}

describe('the metrics port', () => {
  it('carries nothing of what reviews contain, and its series do not grow with what callers send', async () => {
    const origin = `https://localhost:${webhook.admissionPort}`;
    const metrics = () => fetch(`http://127.0.0.1:${webhook.metricsPort}/metrics`).then((response) => response.text());
    const series = (text: string) =>
      text
        .split('\n')
        .filter(
          (line) =>
            line.startsWith('snapshot_webhook_') &&
            !line.startsWith('snapshot_webhook_process') &&
            !line.startsWith('snapshot_webhook_nodejs'),
        );
    const client = http2Client(origin, certificates.caCert);
    try {
      await client.post('/validate', JSON.stringify(reviewFrom('02')));
      const reviews = markedReviews();
      const before = series(await metrics()).length;
      const half = reviews.slice(0, reviews.length / 2);
      for (const review of half) expect((await client.post('/validate', JSON.stringify(review))).status).toBe(200);
      const notAReview = `{"not":"${MARKER}"}`;
      expect((await postHttp1(`${origin}/validate`, notAReview, { ca: certificates.caCert })).status).toBe(400);
      const middle = series(await metrics()).length;
      for (const review of reviews.slice(half.length)) expect((await client.post('/validate', JSON.stringify(review))).status).toBe(200);
      expect((await postHttp1(`${origin}/validate`, notAReview, { ca: certificates.caCert })).status).toBe(400);
      const text = await metrics();
      expect(text).not.toContain(MARKER);
      // The first reviews may add a few fixed series (unknown kind, denied); the next ones add none.
      expect(middle - before).toBeLessThan(20);
      expect(series(text).length).toBe(middle);
      for (const path of ['/readyz', '/livez'])
        expect(await fetch(`http://127.0.0.1:${webhook.metricsPort}${path}`).then((response) => response.text())).not.toContain(MARKER);
      const posted = await fetch(`http://127.0.0.1:${webhook.metricsPort}/validate`, { method: 'POST', body: JSON.stringify(reviews[0]) });
      expect(posted.status).toBeGreaterThanOrEqual(400);
      expect(await posted.text()).not.toContain(MARKER);
    } finally {
      client.close();
    }
  });
});
