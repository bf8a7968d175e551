/**
 * A serving certificate checked before it is used: parseable, key matches, not expired, not
 * signed with a broken hash, no key OpenSSL would refuse to serve. Checking here turns a TLS
 * failure that kube-apiserver would report as an opaque "failed calling webhook", or an OpenSSL
 * stack trace at start-up, into a message that names the problem.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describeError, WebhookError } from '../errors.ts';
import { TLS_CIPHERS } from './policy.ts';

export interface ServingCertificate {
  /** PEM: the leaf first, then any intermediates, as given. */
  readonly cert: string;
  /** PEM private key of the leaf. */
  readonly key: string;
  readonly subject: string;
  readonly dnsNames: readonly string[];
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the leaf, as Node formats it (AB:CD:...). */
  readonly fingerprint256: string;
  readonly serialNumber: string;
}

/** How messages name the two inputs, e.g. "certificate file /tls/tls.crt". */
export interface CertificateLabels {
  readonly certificate: string;
  readonly key: string;
}

const DEFAULT_LABELS: CertificateLabels = { certificate: 'certificate', key: 'private key' };

// Signature algorithms whose hash has practical collisions (MD2, MD4, MD5, SHA-1), by OID.
const WEAK_SIGNATURE_ALGORITHMS = new Set([
  '1.2.840.113549.1.1.2', // md2WithRSAEncryption
  '1.2.840.113549.1.1.3', // md4WithRSAEncryption
  '1.2.840.113549.1.1.4', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  '1.3.14.3.2.3', // md5WithRSA (OIW)
  '1.3.14.3.2.29', // sha1WithRSASignature (OIW)
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
  '1.2.840.10040.4.3', // dsa-with-sha1
]);

// What OpenSSL says when a key is below its security level: the leaf's ("ee") or another one's in
// the file ("ca").
const KEY_TOO_SMALL = new Set(['ERR_SSL_EE_KEY_TOO_SMALL', 'ERR_SSL_CA_KEY_TOO_SMALL']);

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

// Text on the line after an END CERTIFICATE, typically the next BEGIN when files were joined
// without a newline: OpenSSL refuses the file ("bad end line") though each block parses alone.
const TEXT_AFTER_END = /-----END CERTIFICATE-----[ \t]*[^\s]/;

/**
 * Parses and checks a certificate (chain) and its key.
 * @throws WebhookError CERTIFICATE_INVALID saying what is wrong and with which input.
 */
export function loadServingCertificate(certPem: string, keyPem: string, labels: CertificateLabels = DEFAULT_LABELS): ServingCertificate {
  const chain = parseChain(certPem, labels.certificate);
  const leaf = chain[0] as X509Certificate;
  const key = parseKey(keyPem, labels.key);
  if (!leaf.checkPrivateKey(key)) {
    throw certificateInvalid(`${labels.key} does not match ${labels.certificate} (subject ${leaf.subject})`);
  }
  chain.forEach((certificate) => checkUsable(certificate, labels.certificate));
  checkOpenSslAccepts(chain, certPem, keyPem, labels.certificate);
  return {
    cert: certPem,
    key: keyPem,
    subject: leaf.subject,
    dnsNames: dnsNamesOf(leaf),
    notAfter: leaf.validToDate,
    fingerprint256: leaf.fingerprint256,
    serialNumber: leaf.serialNumber,
  };
}

function parseChain(certPem: string, label: string): X509Certificate[] {
  const blocks = certPem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw certificateInvalid(`${label} holds no PEM certificate (BEGIN CERTIFICATE)`);
  if (TEXT_AFTER_END.test(certPem)) {
    throw certificateInvalid(`${label}: a line goes on after END CERTIFICATE; put a newline after each certificate`);
  }
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw certificateInvalid(`${label}: certificate ${index + 1} is not a parseable X.509 certificate: ${describeError(error)}`);
    }
  });
}

function parseKey(keyPem: string, label: string): KeyObject {
  try {
    return createPrivateKey(keyPem);
  } catch (error) {
    throw certificateInvalid(`${label} is not a parseable unencrypted PEM private key: ${describeError(error)}`);
  }
}

function checkUsable(certificate: X509Certificate, label: string): void {
  const now = Date.now();
  if (certificate.validToDate.getTime() <= now) {
    throw certificateInvalid(`${label}: ${certificate.subject} expired on ${certificate.validToDate.toISOString()}`);
  }
  if (WEAK_SIGNATURE_ALGORITHMS.has(certificate.signatureAlgorithmOid) && !isSelfSignedCa(certificate)) {
    const algorithm = certificate.signatureAlgorithm ?? certificate.signatureAlgorithmOid;
    throw certificateInvalid(
      `${label}: ${certificate.subject} is signed with the weak algorithm ${algorithm}` +
        ' (MD5 and SHA-1 are refused by clients); reissue it with SHA-256 or better',
    );
  }
}

// A root CA in the bundle may be SHA-1 signed: clients trust its key, not its signature (OpenSSL
// exempts self-signed certificates the same way). A self-signed leaf gets no such pass.
function isSelfSignedCa(certificate: X509Certificate): boolean {
  return certificate.ca && certificate.checkIssued(certificate) && certificate.verify(certificate.publicKey);
}

/**
 * OpenSSL itself decides, at its security level, which keys it serves (with Node 24's
 * OpenSSL 3.5 at its default level 2: RSA, RSA-PSS and DSA keys under 1963 bits refused, so 1024
 * and 1536 are, 2048 served; EC curves under 224 bits such as P-192 refused, P-224 served), and it
 * checks every certificate of the file, a self-signed root too. Asking it with the server's own
 * cipher string (which may set the level) keeps this check and the server in step; a table of
 * sizes here would drift from both. The message assumes level 2, the default.
 */
function checkOpenSslAccepts(chain: readonly X509Certificate[], certPem: string, keyPem: string, label: string): void {
  const refusal = openSslRefusal(certPem, keyPem);
  if (refusal === undefined) return;
  // OpenSSL does not say which certificate of the file it refused: ask about each on its own.
  for (const certificate of chain) {
    const own = openSslRefusal(certificate.toString());
    if (own !== undefined) throw refusedBy(certificate, own, label);
  }
  throw certificateInvalid(`${label}: OpenSSL refuses to serve it: ${refusal.message}`);
}

function openSslRefusal(cert: string, key?: string): NodeJS.ErrnoException | undefined {
  try {
    createSecureContext({ cert, key, ciphers: TLS_CIPHERS });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function refusedBy(certificate: X509Certificate, refusal: NodeJS.ErrnoException, label: string): WebhookError {
  if (refusal.code === undefined || !KEY_TOO_SMALL.has(refusal.code)) {
    return certificateInvalid(`${label}: OpenSSL refuses to serve ${certificate.subject}: ${refusal.message}`);
  }
  return certificateInvalid(
    `${label}: ${certificate.subject} has a weak key, ${describeKey(certificate.publicKey)}` +
      " (OpenSSL's security level wants 112-bit strength: 2048-bit RSA or DSA, or an EC curve of 224 bits or more);" +
      ' reissue it with a 2048-bit RSA or a P-256 EC key' +
      // Unlike a weak signature, a weak root key is refused too; but a root need not be served.
      (isSelfSignedCa(certificate) ? ', or leave this root out of the file (clients trust it from their own CA bundle)' : ''),
  );
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  const type = (key.asymmetricKeyType ?? 'unknown').toUpperCase();
  if (details.namedCurve !== undefined) return `${type} on curve ${details.namedCurve}`;
  if (details.modulusLength !== undefined) return `${details.modulusLength}-bit ${type}`;
  return type;
}

function dnsNamesOf(certificate: X509Certificate): string[] {
  const names = certificate.subjectAltName?.split(', ') ?? [];
  return names.filter((name) => name.startsWith('DNS:')).map((name) => name.slice('DNS:'.length));
}

function certificateInvalid(detail: string): WebhookError {
  return new WebhookError('CERTIFICATE_INVALID', detail);
}
