/**
 * Real certificates for tests: a CA and a serving certificate it signed, made with the
 * product's own generator (EC P-256, SHA-256; about 20-50 ms for both). Trust `caCert` in the
 * client (`ca: caCert`) and serve `cert` + `key`. Also certificates with weak keys, made at test
 * time so that no key material is committed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { generateCertificateAuthority, generateServingCertificate } from '../src/tls/self-signed.ts';
import type { CertificateAuthority, GeneratedCertificate } from '../src/tls/self-signed.ts';

export interface TestCertificates {
  readonly ca: CertificateAuthority;
  /** PEM of the CA certificate, for a client's `ca` option. */
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

export interface TestCertificateNames {
  /** Defaults to localhost. */
  readonly dnsNames?: readonly string[];
  /** Defaults to 127.0.0.1 and ::1. */
  readonly ipAddresses?: readonly string[];
}

export async function createTestCertificates(names: TestCertificateNames = {}): Promise<TestCertificates> {
  const ca = await generateCertificateAuthority({ commonName: 'test CA' });
  const serving = await issueTestCertificate(ca, names);
  return { ca, caCert: ca.cert, cert: serving.cert, key: serving.key };
}

/** Another serving certificate from the same CA: what a rotation looks like. */
export function issueTestCertificate(ca: CertificateAuthority, names: TestCertificateNames = {}): Promise<GeneratedCertificate> {
  return generateServingCertificate(ca, {
    dnsNames: names.dnsNames ?? ['localhost'],
    ipAddresses: names.ipAddresses ?? ['127.0.0.1', '::1'],
    validityDays: 7,
  });
}

export interface CertificatePair {
  readonly cert: string;
  readonly key: string;
}

export interface RsaCertificateOptions {
  readonly commonName?: string;
  /** Signs with this CA instead of self-signing. */
  readonly ca?: CertificatePair;
  /** Makes it a CA (basicConstraints cA), to sign others or stand in a chain. */
  readonly isCa?: boolean;
}

/**
 * An RSA certificate of the given size, signed with SHA-256, so that only its key can be weak.
 * The product's generator makes EC keys only; selfsigned makes RSA ones of any size.
 */
export async function rsaCertificate(keySize: number, options: RsaCertificateOptions = {}): Promise<CertificatePair> {
  const generated = await generate([{ name: 'commonName', value: options.commonName ?? 'localhost' }], {
    keyType: 'rsa',
    keySize,
    algorithm: 'sha256',
    ...(options.ca ? { ca: { key: options.ca.key, cert: options.ca.cert } } : {}),
    ...(options.isCa ? { extensions: [{ name: 'basicConstraints', cA: true, critical: true }] } : {}),
  });
  return { cert: generated.cert, key: generated.private };
}

/** Whether the openssl binary is on the PATH: the only maker here of EC keys on curves WebCrypto lacks. */
export const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;

/** A self-signed SHA-256 certificate for localhost with an EC key on the named OpenSSL curve (e.g. prime192v1). */
export async function opensslEcCertificate(curve: string): Promise<CertificatePair> {
  const directory = await mkdtemp(join(tmpdir(), 'openssl-ec-'));
  try {
    const [keyFile, certFile] = [join(directory, 'tls.key'), join(directory, 'tls.crt')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        `ec_paramgen_curve:${curve}`,
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '7',
        '-subj',
        '/CN=localhost',
        '-sha256',
      ],
      { stdio: 'ignore' },
    );
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
