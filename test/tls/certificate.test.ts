import { generate } from 'selfsigned';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebhookError } from '../../src/errors.ts';
import { loadServingCertificate } from '../../src/tls/certificate.ts';
import { createTestCertificates, issueTestCertificate } from '../support/certificates.ts';
import type { TestCertificates } from '../support/certificates.ts';

function rejection(run: () => unknown): WebhookError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookError);
    expect((error as WebhookError).code).toBe('SVW_ERR_CERTIFICATE_INVALID');
    return error as WebhookError;
  }
  throw new Error('expected loadServingCertificate to throw');
}

describe('loadServingCertificate', () => {
  let certs: TestCertificates;

  beforeAll(async () => {
    certs = await createTestCertificates({ dnsNames: ['localhost', 'webhook.ns.svc'] });
  });

  it('accepts a matching pair and says what it is', () => {
    const loaded = loadServingCertificate(certs.cert, certs.key);
    expect(loaded.cert).toBe(certs.cert);
    expect(loaded.key).toBe(certs.key);
    expect(loaded.subject).toBe('CN=localhost');
    expect(loaded.dnsNames).toEqual(['localhost', 'webhook.ns.svc']);
    expect(loaded.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(loaded.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('accepts a chain: leaf, then the CA', () => {
    expect(loadServingCertificate(certs.cert + certs.caCert, certs.key).subject).toBe('CN=localhost');
  });

  it.each(['ec', 'rsa'] as const)('refuses a SHA-1 signed %s certificate, naming the algorithm', async (keyType) => {
    const sha1 = await generate([{ name: 'commonName', value: 'localhost' }], { keyType, algorithm: 'sha1' });
    const error = rejection(() => loadServingCertificate(sha1.cert, sha1.private));
    expect(error.message).toMatch(/CN=localhost is signed with the weak algorithm (ecdsa-with-SHA1|sha1WithRSAEncryption)/);
    expect(error.message).toMatch(/SHA-256/);
  });

  it('checks every certificate of a chain, except a self-signed root whose signature nobody checks', async () => {
    const sha1Root = await generate([{ name: 'commonName', value: 'old root' }], {
      keyType: 'ec',
      algorithm: 'sha1',
      extensions: [{ name: 'basicConstraints', cA: true, critical: true }],
    });
    expect(loadServingCertificate(certs.cert + sha1Root.cert, certs.key).subject).toBe('CN=localhost');
    const sha1Intermediate = await generate([{ name: 'commonName', value: 'old intermediate' }], {
      keyType: 'ec',
      algorithm: 'sha1',
      ca: { key: certs.ca.key, cert: certs.ca.cert },
      extensions: [{ name: 'basicConstraints', cA: true, critical: true }],
    });
    expect(rejection(() => loadServingCertificate(certs.cert + sha1Intermediate.cert, certs.key)).message).toMatch(
      /CN=old intermediate is signed with the weak algorithm ecdsa-with-SHA1/,
    );
  });

  it('accepts the same kind of certificate signed with SHA-256', async () => {
    const sha256 = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
    expect(loadServingCertificate(sha256.cert, sha256.private).subject).toBe('CN=localhost');
  });

  it('refuses a key that belongs to another certificate', async () => {
    const other = await issueTestCertificate(certs.ca);
    const error = rejection(() => loadServingCertificate(certs.cert, other.key));
    expect(error.message).toBe(
      'cannot use the serving certificate: private key does not match certificate (subject CN=localhost)',
    );
  });

  it('names the inputs as the caller labels them', async () => {
    const other = await issueTestCertificate(certs.ca);
    const error = rejection(() =>
      loadServingCertificate(certs.cert, other.key, { certificate: 'certificate file /a.crt', key: 'key file /a.key' }),
    );
    expect(error.message).toMatch(/key file \/a\.key does not match certificate file \/a\.crt/);
  });

  it('refuses text that holds no certificate, a damaged certificate and a garbage key', () => {
    expect(rejection(() => loadServingCertificate('not a certificate', certs.key)).message).toMatch(
      /certificate holds no PEM certificate/,
    );
    const damaged = certs.cert.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    expect(damaged).not.toBe(certs.cert);
    expect(rejection(() => loadServingCertificate(damaged, certs.key)).message).toMatch(
      /certificate 1 is not a parseable X\.509 certificate/,
    );
    expect(rejection(() => loadServingCertificate(certs.cert, 'garbage')).message).toMatch(
      /private key is not a parseable unencrypted PEM private key/,
    );
    // A key where the certificate should be, and the other way round.
    expect(rejection(() => loadServingCertificate(certs.key, certs.cert)).message).toMatch(/no PEM certificate/);
  });

  it('refuses an expired certificate, saying when it expired', async () => {
    const expired = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate: new Date('2020-01-01T00:00:00Z'),
      notAfterDate: new Date('2021-01-01T00:00:00Z'),
    });
    expect(rejection(() => loadServingCertificate(expired.cert, expired.private)).message).toMatch(
      /CN=localhost expired on 2021-01-01T00:00:00\.000Z/,
    );
  });
});
