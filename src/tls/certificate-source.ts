/**
 * Where the server gets its certificate: files that may be replaced while it runs, or a
 * certificate fixed for the life of the process (the development one). The server treats both
 * the same way.
 */
import type { ServingCertificate } from './certificate.ts';

export type CertificateListener = (certificate: ServingCertificate) => void;

export interface CertificateSource {
  /** The certificate to serve now: always one that passed loadServingCertificate. */
  current(): ServingCertificate;
  /** Calls the listener with each new certificate; returns a function that stops that. */
  onChange(listener: CertificateListener): () => void;
  close(): void;
}

/** A source whose certificate never changes. */
export function staticCertificateSource(certificate: ServingCertificate): CertificateSource {
  return {
    current: () => certificate,
    onChange: () => () => undefined,
    close: () => undefined,
  };
}
