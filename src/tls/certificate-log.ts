import type { ServingCertificate } from './certificate.ts';

/**
 * The fields a log line names a serving certificate by, the same whichever source (files or the
 * self-managed Secret) serves it, so that one query follows a certificate across both.
 */
export function certificateLogFields(certificate: ServingCertificate): Record<string, unknown> {
  return {
    subject: certificate.subject,
    dnsNames: certificate.dnsNames,
    notAfter: certificate.notAfter.toISOString(),
    fingerprint256: certificate.fingerprint256,
  };
}
