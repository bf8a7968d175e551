/**
 * Certificates made in-process with `selfsigned`: a CA and serving certificates it signs. Used
 * when the server starts without certificate files (development) and by tests.
 *
 * EC P-256 keys: several times quicker to generate than RSA 2048, and every client that matters
 * (kube-apiserver, curl, Node) accepts them. selfsigned signs with
 * SHA-1 unless told otherwise, which Node refuses, so the algorithm is always SHA-256.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generate } from 'selfsigned';

const KEY_TYPE = 'ec';
const SIGNATURE_HASH = 'sha256';
const DAY_MS = 24 * 60 * 60 * 1000;
// Backdated so a peer whose clock runs a little behind does not see "not yet valid".
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface GeneratedCertificate {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM private key (PKCS#8, unencrypted). */
  readonly key: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A CA that can sign serving certificates: its certificate is what clients trust. */
export type CertificateAuthority = GeneratedCertificate;

export interface CertificateAuthorityOptions {
  readonly commonName?: string;
  readonly validityDays?: number;
}

export interface ServingCertificateOptions {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly validityDays: number;
}

export interface DevelopmentCertificateOptions {
  /** Where the CA certificate is written, for clients to trust (`curl --cacert`). */
  readonly caFile: string;
  /** Names besides localhost, 127.0.0.1 and ::1 that the certificate must be valid for. */
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
}

export interface DevelopmentCertificates {
  readonly cert: string;
  readonly key: string;
  readonly caCert: string;
  readonly caFile: string;
}

function validity(validityDays: number): { notBeforeDate: Date; notAfterDate: Date } {
  const now = Date.now();
  return {
    notBeforeDate: new Date(now - CLOCK_SKEW_MS),
    notAfterDate: new Date(now + validityDays * DAY_MS),
  };
}

/**
 * selfsigned ends its certificate PEM without a newline: two such files joined with `cat` (a chain,
 * a CA bundle) read "-----END CERTIFICATE----------BEGIN", which OpenSSL refuses.
 */
function endLine(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

export async function generateCertificateAuthority(options: CertificateAuthorityOptions = {}): Promise<CertificateAuthority> {
  const dates = validity(options.validityDays ?? 365);
  const generated = await generate([{ name: 'commonName', value: options.commonName ?? 'snapshot-webhook CA' }], {
    keyType: KEY_TYPE,
    algorithm: SIGNATURE_HASH,
    ...dates,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: endLine(generated.cert), key: endLine(generated.private), notBefore: dates.notBeforeDate, notAfter: dates.notAfterDate };
}

export async function generateServingCertificate(
  ca: CertificateAuthority,
  options: ServingCertificateOptions,
): Promise<GeneratedCertificate> {
  const altNames = [
    ...options.dnsNames.map((value) => ({ type: 2 as const, value })),
    ...options.ipAddresses.map((ip) => ({ type: 7 as const, ip })),
  ];
  if (altNames.length === 0) throw new TypeError('a serving certificate needs at least one DNS name or IP address');
  const dates = validity(options.validityDays);
  const generated = await generate([{ name: 'commonName', value: options.dnsNames[0] ?? options.ipAddresses[0] }], {
    keyType: KEY_TYPE,
    algorithm: SIGNATURE_HASH,
    ...dates,
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: endLine(generated.cert), key: endLine(generated.private), notBefore: dates.notBeforeDate, notAfter: dates.notAfterDate };
}

/**
 * A fresh CA and a serving certificate for this machine, the CA written to `caFile` so that
 * `curl --cacert <caFile> https://localhost:8443/...` works. Nothing is reused across starts:
 * the key never touches the disk.
 */
export async function generateDevelopmentCertificates(options: DevelopmentCertificateOptions): Promise<DevelopmentCertificates> {
  const ca = await generateCertificateAuthority({ commonName: 'snapshot-webhook development CA', validityDays: 30 });
  const serving = await generateServingCertificate(ca, {
    dnsNames: unique(['localhost', ...(options.dnsNames ?? [])]),
    ipAddresses: unique(['127.0.0.1', '::1', ...(options.ipAddresses ?? [])]),
    validityDays: 30,
  });
  await mkdir(dirname(options.caFile), { recursive: true });
  await writeFile(options.caFile, ca.cert);
  // writeFile's mode applies only to new files and is masked by the umask; the CA is public.
  await chmod(options.caFile, 0o644);
  return { cert: serving.cert, key: serving.key, caCert: ca.cert, caFile: options.caFile };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
