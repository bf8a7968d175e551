/**
 * Test helpers: a real HTTP/2 + HTTP/1.1 TLS server on 127.0.0.1 that follows a certificate
 * source, real client handshakes against it, and a logger that records what it is told.
 */
import { createSecureServer } from 'node:http2';
import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect, createServer as createTlsServer } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import type { LogFn, Logger } from '../../src/observability/logger.ts';
import type { CertificateSource } from '../../src/tls/certificate-source.ts';
import { attachCertificateReload, serverTlsOptions } from '../../src/tls/server-tls.ts';

export interface RunningServer {
  readonly server: Http2SecureServer;
  readonly port: number;
  close(): Promise<void>;
}

type Handler = (request: Http2ServerRequest, response: Http2ServerResponse) => void;

const answerOk: Handler = (_request, response) => {
  response.end('ok');
};

export async function startServer(source: CertificateSource, handler: Handler = answerOk): Promise<RunningServer> {
  const server = createSecureServer(serverTlsOptions(source.current()), handler);
  const detach = attachCertificateReload(server, source);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    detach();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { server, port, close };
}

export interface Handshake {
  readonly fingerprint256: string;
  readonly serialNumber: string;
  readonly alpnProtocol: string | false | null;
  readonly protocol: string | null;
}

/** Completes a handshake (verifying the server against `ca`) and hangs up. */
export function handshake(port: number, options: ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
      const peer = socket.getPeerCertificate();
      resolve({
        fingerprint256: peer.fingerprint256,
        serialNumber: peer.serialNumber,
        alpnProtocol: socket.alpnProtocol ?? null,
        protocol: socket.getProtocol(),
      });
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

/** A client that offers only TLS 1.0 and 1.1, with any cipher: what the webhook must refuse. */
export const OLD_TLS_CLIENT = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' } as const;

/** The protocol OLD_TLS_CLIENT gets from a permissive server with the same certificate: the refusal is the server's doing. */
export async function permissiveServerProtocol(certificates: { cert: string; key: string; caCert: string }): Promise<string | null> {
  const permissive = createTlsServer({ cert: certificates.cert, key: certificates.key, ...OLD_TLS_CLIENT });
  await new Promise<void>((resolve) => permissive.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = permissive.address() as AddressInfo;
    return (await handshake(port, { ca: certificates.caCert, ...OLD_TLS_CLIENT })).protocol;
  } finally {
    permissive.close();
  }
}

/** Handshakes until the server presents the certificate with this fingerprint, or throws. */
export async function waitForFingerprint(port: number, ca: string, fingerprint256: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (await handshake(port, { ca })).fingerprint256;
    if (seen === fingerprint256) return;
    await sleep(25);
  }
  throw new Error(`server still presents ${seen} after ${timeoutMs} ms, expected ${fingerprint256}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface LogRecord {
  readonly level: keyof Logger;
  readonly message: string;
  readonly fields: object;
}

export interface RecordingLogger extends Logger {
  readonly records: LogRecord[];
}

export function recordingLogger(): RecordingLogger {
  const records: LogRecord[] = [];
  const at =
    (level: keyof Logger): LogFn =>
    (first: string | object, message?: string) => {
      if (typeof first === 'string') records.push({ level, message: first, fields: {} });
      else records.push({ level, message: message ?? '', fields: first });
    };
  return { records, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
