import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../support/temporary-directory.ts';
import { loadServingCertificate } from '../../src/tls/certificate.ts';
import { staticCertificateSource } from '../../src/tls/certificate-source.ts';
import { generateCertificateAuthority, generateDevelopmentCertificates, generateServingCertificate } from '../../src/tls/self-signed.ts';
import type { CertificateAuthority, GeneratedCertificate } from '../../src/tls/self-signed.ts';
import { handshake, startServer } from './tls-probe.ts';
import type { RunningServer } from './tls-probe.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('a CA and a serving certificate it signs', () => {
  let ca: CertificateAuthority;
  let serving: GeneratedCertificate;
  let running: RunningServer;

  beforeAll(async () => {
    ca = await generateCertificateAuthority({ commonName: 'unit CA', validityDays: 10 });
    serving = await generateServingCertificate(ca, {
      dnsNames: ['localhost', 'webhook.svc'],
      ipAddresses: ['127.0.0.1'],
      validityDays: 3,
    });
    running = await startServer(staticCertificateSource(loadServingCertificate(serving.cert, serving.key)));
  });
  afterAll(() => running.close());

  it('verifies in a real handshake against the CA, by DNS name and by IP address', async () => {
    await expect(handshake(running.port, { ca: ca.cert, servername: 'localhost' })).resolves.toBeDefined();
    await expect(handshake(running.port, { ca: ca.cert, servername: 'webhook.svc' })).resolves.toBeDefined();
    // No servername: Node checks the IP address SAN instead.
    await expect(handshake(running.port, { ca: ca.cert, servername: '' })).resolves.toBeDefined();
  });

  it('does not verify against another CA or for a name it does not carry', async () => {
    const otherCa = await generateCertificateAuthority();
    await expect(handshake(running.port, { ca: otherCa.cert })).rejects.toThrow(/self-signed|unable to (get|verify)/i);
    await expect(handshake(running.port, { ca: ca.cert, servername: 'elsewhere.example' })).rejects.toThrow(/altnames/i);
  });

  it('is EC, SHA-256, a CA and a leaf with the requested validity', () => {
    const caCert = new X509Certificate(ca.cert);
    const leaf = new X509Certificate(serving.cert);
    expect(caCert.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(leaf.publicKey.asymmetricKeyType).toBe('ec');
    expect(leaf.subjectAltName).toBe('DNS:localhost, DNS:webhook.svc, IP Address:127.0.0.1');
    // Dates in a certificate have whole seconds.
    expect(Math.abs(leaf.validToDate.getTime() - serving.notAfter.getTime())).toBeLessThan(1000);
    expect(Math.abs(serving.notAfter.getTime() - (Date.now() + 3 * DAY_MS))).toBeLessThan(60_000);
    expect(serving.notBefore.getTime()).toBeLessThan(Date.now());
  });

  it('ends every PEM with a newline, so that joined files (a chain, a CA bundle) still load', () => {
    for (const pem of [ca.cert, ca.key, serving.cert, serving.key]) expect(pem.endsWith('-----\n')).toBe(true);
    expect(loadServingCertificate(serving.cert + ca.cert, serving.key)).toBeDefined();
  });

  it('refuses to make a certificate without any name', async () => {
    await expect(generateServingCertificate(ca, { dnsNames: [], ipAddresses: [], validityDays: 1 })).rejects.toThrow(/at least one/);
  });
});

describe('development certificates', () => {
  const inDirectory = temporaryDirectory('dev-certs-');

  it('writes the CA (world-readable, creating its directory) and serves localhost, 127.0.0.1, ::1 and extra names', async () => {
    const caFile = inDirectory('nested', 'dir', 'ca.crt');
    const generated = await generateDevelopmentCertificates({
      caFile,
      dnsNames: ['webhook.dev'],
      ipAddresses: ['10.1.2.3'],
    });

    expect(generated.caFile).toBe(caFile);
    expect(await readFile(caFile, 'utf8')).toBe(generated.caCert);
    expect((await stat(caFile)).mode & 0o777).toBe(0o644);
    expect(new X509Certificate(generated.cert).subjectAltName).toBe(
      'DNS:localhost, DNS:webhook.dev, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.1.2.3',
    );

    const running = await startServer(staticCertificateSource(loadServingCertificate(generated.cert, generated.key)));
    try {
      const ca = await readFile(caFile, 'utf8');
      await expect(handshake(running.port, { ca, servername: 'localhost' })).resolves.toBeDefined();
      await expect(handshake(running.port, { ca, servername: 'webhook.dev' })).resolves.toBeDefined();
    } finally {
      await running.close();
    }
  });

  it('makes a new CA on each start, replacing the old file and making it world-readable', async () => {
    const caFile = inDirectory('again', 'ca.crt');
    await mkdir(inDirectory('again'));
    await writeFile(caFile, 'stale', { mode: 0o600 });
    const first = await generateDevelopmentCertificates({ caFile });
    const second = await generateDevelopmentCertificates({ caFile });
    expect(second.caCert).not.toBe(first.caCert);
    expect(await readFile(caFile, 'utf8')).toBe(second.caCert);
    expect((await stat(caFile)).mode & 0o777).toBe(0o644);
  });
});
