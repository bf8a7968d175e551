/**
 * The TLS settings of the admission server, in one place, and the hook that swaps its
 * certificate without a restart.
 *
 * Usage:
 *   const certs = await watchCertificateFiles({ certFile, keyFile, logger });
 *   const app = Fastify({ http2: true, https: serverTlsOptions(certs.current()) });
 *   attachCertificateReload(app.server, certs);
 */
import type { SecureServerOptions } from 'node:http2';
import type { SecureContextOptions, Server as TlsServer } from 'node:tls';
import type { ServingCertificate } from './certificate.ts';
import type { CertificateSource } from './certificate-source.ts';
import { ALPN_PROTOCOLS, MIN_TLS_VERSION, TLS_CIPHERS } from './policy.ts';

export type { CertificateListener, CertificateSource } from './certificate-source.ts';
export { staticCertificateSource } from './certificate-source.ts';

/**
 * What goes into a secure context. setSecureContext builds a whole new context from its
 * options, so a reload must pass all of these again, not just the key and certificate.
 */
function secureContextOptions(certificate: ServingCertificate): SecureContextOptions {
  return {
    cert: certificate.cert,
    key: certificate.key,
    minVersion: MIN_TLS_VERSION,
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
  };
}

/** Options for http2.createSecureServer (or https.createServer, which ignores allowHTTP1). */
export function serverTlsOptions(certificate: ServingCertificate): SecureServerOptions {
  return {
    ...secureContextOptions(certificate),
    ALPNProtocols: [...ALPN_PROTOCOLS],
    // kube-apiserver negotiates h2, but probes, curl and older clients may speak HTTP/1.1.
    allowHTTP1: true,
  };
}

/**
 * Serves each new certificate of the source on new handshakes; connections already open keep
 * the certificate they were made with. Returns a function that stops following the source.
 */
export function attachCertificateReload(server: TlsServer, source: CertificateSource): () => void {
  const apply = (certificate: ServingCertificate): void => server.setSecureContext(secureContextOptions(certificate));
  // The certificate may have changed between building the server's options and this call.
  apply(source.current());
  return source.onChange(apply);
}
