/** What the admission server accepts in TLS: used when it serves and when a certificate is loaded. */
import type { SecureVersion } from 'node:tls';

/**
 * TLS 1.3 suites, then TLS 1.2 suites with forward secrecy and AEAD only (Mozilla
 * "intermediate"). All are allowed by HTTP/2, and Go's client (kube-apiserver) offers them.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const ALPN_PROTOCOLS: readonly string[] = ['h2', 'http/1.1'];

export const MIN_TLS_VERSION: SecureVersion = 'TLSv1.2';
