/**
 * Real certificates for tests: a CA and a serving certificate it signed, made with the
 * product's own generator (EC P-256, SHA-256; about 20-50 ms for both). Trust `caCert` in the
 * client (`ca: caCert`) and serve `cert` + `key`.
 */
import {
  generateCertificateAuthority,
  generateServingCertificate,
} from '../../src/tls/self-signed.ts';
import type { CertificateAuthority, GeneratedCertificate } from '../../src/tls/self-signed.ts';

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
export function issueTestCertificate(
  ca: CertificateAuthority,
  names: TestCertificateNames = {},
): Promise<GeneratedCertificate> {
  return generateServingCertificate(ca, {
    dnsNames: names.dnsNames ?? ['localhost'],
    ipAddresses: names.ipAddresses ?? ['127.0.0.1', '::1'],
    validityDays: 7,
  });
}
