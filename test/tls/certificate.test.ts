import { createSecureContext } from 'node:tls';
import { generate } from 'selfsigned';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebhookError } from '../../src/errors.ts';
import { loadServingCertificate } from '../../src/tls/certificate.ts';
import { TLS_CIPHERS } from '../../src/tls/policy.ts';
import {
  HAS_OPENSSL,
  createTestCertificates,
  issueTestCertificate,
  opensslEcCertificate,
  rsaCertificate,
} from '../../testkit/certificates.ts';
import type { CertificatePair, TestCertificates } from '../../testkit/certificates.ts';

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

/** PEM files joined as `cat` joins them: the generators' output has no final newline. */
function joined(...pems: string[]): string {
  return pems.map((pem) => `${pem.trimEnd()}\n`).join('');
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
    expect(loadServingCertificate(joined(certs.cert, certs.caCert), certs.key).subject).toBe('CN=localhost');
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
    expect(loadServingCertificate(joined(certs.cert, sha1Root.cert), certs.key).subject).toBe('CN=localhost');
    const sha1Intermediate = await generate([{ name: 'commonName', value: 'old intermediate' }], {
      keyType: 'ec',
      algorithm: 'sha1',
      ca: { key: certs.ca.key, cert: certs.ca.cert },
      extensions: [{ name: 'basicConstraints', cA: true, critical: true }],
    });
    expect(rejection(() => loadServingCertificate(joined(certs.cert, sha1Intermediate.cert), certs.key)).message).toMatch(
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
    expect(error.message).toBe('cannot use the serving certificate: private key does not match certificate (subject CN=localhost)');
  });

  it('names the inputs as the caller labels them', async () => {
    const other = await issueTestCertificate(certs.ca);
    const error = rejection(() =>
      loadServingCertificate(certs.cert, other.key, { certificate: 'certificate file /a.crt', key: 'key file /a.key' }),
    );
    expect(error.message).toMatch(/key file \/a\.key does not match certificate file \/a\.crt/);
  });

  it('refuses text that holds no certificate, a damaged certificate and a garbage key', () => {
    expect(rejection(() => loadServingCertificate('not a certificate', certs.key)).message).toMatch(/certificate holds no PEM certificate/);
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

  it('refuses a file whose certificates were joined without a newline, which OpenSSL cannot read', () => {
    expect(rejection(() => loadServingCertificate(certs.cert.trimEnd() + certs.caCert, certs.key)).message).toMatch(
      /certificate: a line goes on after END CERTIFICATE; put a newline after each certificate/,
    );
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

/** What the server would meet: OpenSSL building its context from the pair, at its security level. */
function openSslServes(pair: CertificatePair): boolean {
  try {
    createSecureContext({ cert: pair.cert, key: pair.key, ciphers: TLS_CIPHERS });
    return true;
  } catch {
    return false;
  }
}

describe('loadServingCertificate: keys OpenSSL would not serve', () => {
  let certs: TestCertificates;

  beforeAll(async () => {
    certs = await createTestCertificates();
  });

  // With Node 24 (OpenSSL 3.5, default security level 2), RSA under 1963 bits is
  // refused with "ee key too small" when the server builds its TLS context.
  it.each([1024, 1536])('refuses a %i-bit RSA key signed with SHA-256, as OpenSSL would', async (keySize) => {
    const weak = await rsaCertificate(keySize);
    expect(openSslServes(weak)).toBe(false);
    const error = rejection(() =>
      loadServingCertificate(weak.cert, weak.key, { certificate: 'certificate file /tls/tls.crt', key: 'key file /tls/tls.key' }),
    );
    expect(error.message).toBe(
      `cannot use the serving certificate: certificate file /tls/tls.crt: CN=localhost has a weak key, ${keySize}-bit RSA` +
        " (OpenSSL's security level wants 112-bit strength: 2048-bit RSA or DSA, or an EC curve of 224 bits or more);" +
        ' reissue it with a 2048-bit RSA or a P-256 EC key',
    );
  });

  it('accepts a 2048-bit RSA key, as OpenSSL does', async () => {
    const strong = await rsaCertificate(2048);
    expect(openSslServes(strong)).toBe(true);
    expect(loadServingCertificate(strong.cert, strong.key).subject).toBe('CN=localhost');
  });

  it.skipIf(!HAS_OPENSSL).each([
    ['prime192v1', false],
    ['secp160r1', false],
    ['secp224r1', true],
    ['prime256v1', true],
  ] as const)('an EC key on %s: accepted %s, as OpenSSL does', async (curve, served) => {
    const pair = await opensslEcCertificate(curve);
    expect(openSslServes(pair)).toBe(served);
    if (served) {
      expect(loadServingCertificate(pair.cert, pair.key).subject).toBe('CN=localhost');
    } else {
      expect(rejection(() => loadServingCertificate(pair.cert, pair.key)).message).toMatch(
        new RegExp(`CN=localhost has a weak key, EC on curve ${curve} `),
      );
    }
  });

  it('refuses a weak intermediate in the file, naming it, though the leaf is strong', async () => {
    // selfsigned signs only with a key of the subject's type: RSA all the way down.
    const root = await rsaCertificate(2048, { commonName: 'strong root', isCa: true });
    const intermediate = await rsaCertificate(1024, { commonName: 'weak intermediate', ca: root, isCa: true });
    const leaf = await rsaCertificate(2048, { ca: intermediate });
    const pair = { cert: joined(leaf.cert, intermediate.cert), key: leaf.key };
    expect(openSslServes(pair)).toBe(false);
    expect(rejection(() => loadServingCertificate(pair.cert, pair.key)).message).toMatch(
      /certificate: CN=weak intermediate has a weak key, 1024-bit RSA .*reissue it with a 2048-bit RSA or a P-256 EC key$/,
    );
    // The same leaf served without the intermediate is fine: OpenSSL does not see the signer's key.
    expect(loadServingCertificate(leaf.cert, leaf.key).subject).toBe('CN=localhost');
  });

  it('refuses a weak self-signed root in the file too (unlike a SHA-1 signature), and says it can be left out', async () => {
    const root = await rsaCertificate(1024, { commonName: 'weak root', isCa: true });
    const pair = { cert: joined(certs.cert, root.cert), key: certs.key };
    expect(openSslServes(pair)).toBe(false);
    expect(rejection(() => loadServingCertificate(pair.cert, pair.key)).message).toMatch(
      /CN=weak root has a weak key, 1024-bit RSA .*, or leave this root out of the file/,
    );
  });
});
