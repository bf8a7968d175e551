import { writeFile } from 'node:fs/promises';
import { connect as connectHttp2 } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { get as httpsGet } from 'node:https';
import { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../support/temporary-directory.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { loadServingCertificate } from '../../src/tls/certificate.ts';
import { staticCertificateSource } from '../../src/tls/certificate-source.ts';
import { watchCertificateFiles } from '../../src/tls/certificate-files.ts';
import type { GeneratedCertificate } from '../../src/tls/self-signed.ts';
import { createTestCertificates, issueTestCertificate } from '../../testkit/certificates.ts';
import type { TestCertificates } from '../../testkit/certificates.ts';
import { handshake, OLD_TLS_CLIENT, permissiveServerProtocol, startServer, waitForFingerprint } from './tls-probe.ts';
import type { RunningServer } from './tls-probe.ts';

// OpenSSL 3 refuses TLS 1.0/1.1 at its default security level on the client side too; level 0
// lets this client really offer them, so a refusal comes from the server under test.

let certs: TestCertificates;
let rotated: GeneratedCertificate;

beforeAll(async () => {
  certs = await createTestCertificates();
  rotated = await issueTestCertificate(certs.ca);
});

describe('serverTlsOptions on a real HTTP/2 server', () => {
  let running: RunningServer;

  beforeAll(async () => {
    running = await startServer(staticCertificateSource(loadServingCertificate(certs.cert, certs.key)));
  });
  afterAll(() => running.close());

  it('offers h2 and http/1.1 by ALPN, and answers both', async () => {
    const ca = certs.caCert;
    expect((await handshake(running.port, { ca, ALPNProtocols: ['h2', 'http/1.1'] })).alpnProtocol).toBe('h2');
    expect((await handshake(running.port, { ca, ALPNProtocols: ['http/1.1'] })).alpnProtocol).toBe('http/1.1');
    expect(await http1Get(running.port, ca)).toBe('ok');
    const session = await openSession(running.port, ca);
    try {
      expect(await http2Get(session, '/')).toEqual({ status: 200, body: 'ok' });
    } finally {
      session.close();
    }
  });

  it('refuses TLS 1.0 and 1.1, which a permissive server accepts from the same client', async () => {
    await expect(handshake(running.port, { ca: certs.caCert, ...OLD_TLS_CLIENT })).rejects.toThrow(/protocol version/i);

    expect(await permissiveServerProtocol(certs)).toBe('TLSv1.1');
  });

  it('speaks TLS 1.3, and TLS 1.2 only with forward-secret AEAD suites', async () => {
    expect((await handshake(running.port, { ca: certs.caCert })).protocol).toBe('TLSv1.3');
    const tls12 = { ca: certs.caCert, maxVersion: 'TLSv1.2' } as const;
    expect((await handshake(running.port, tls12)).protocol).toBe('TLSv1.2');
    await expect(handshake(running.port, { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-SHA' })).rejects.toThrow(/handshake failure/i);
  });
});

describe('attachCertificateReload', () => {
  const inDirectory = temporaryDirectory('server-tls-');

  it('lets a request in flight finish on its connection while new connections get the new certificate', async () => {
    const certFile = inDirectory('tls.crt');
    const keyFile = inDirectory('tls.key');
    await writeFile(certFile, certs.cert);
    await writeFile(keyFile, certs.key);
    const source = await watchCertificateFiles({ certFile, keyFile, logger: silentLogger });
    const slow = gate();
    const running = await startServer(source, (request, response) => {
      if (request.url !== '/slow') return void response.end('ok');
      slow.entered();
      void slow.released.then(() => response.end('slow ok'));
    });
    const session = await openSession(running.port, certs.caCert);
    try {
      const oldFingerprint = peerFingerprint(session);
      const inFlight = http2Get(session, '/slow');
      await slow.hasEntered;

      await writeFile(certFile, rotated.cert);
      await writeFile(keyFile, rotated.key);
      const newFingerprint = loadServingCertificate(rotated.cert, rotated.key).fingerprint256;
      await waitForFingerprint(running.port, certs.caCert, newFingerprint);
      slow.release();

      expect(await inFlight).toEqual({ status: 200, body: 'slow ok' });
      // The open connection keeps working, on the certificate it was made with.
      expect(await http2Get(session, '/')).toEqual({ status: 200, body: 'ok' });
      expect(peerFingerprint(session)).toBe(oldFingerprint);
      expect(newFingerprint).not.toBe(oldFingerprint);

      // The new context keeps the server's settings, not just the new certificate.
      const fresh = await handshake(running.port, { ca: certs.caCert, ALPNProtocols: ['h2', 'http/1.1'] });
      expect(fresh).toMatchObject({ alpnProtocol: 'h2', protocol: 'TLSv1.3', fingerprint256: newFingerprint });
      await expect(handshake(running.port, { ca: certs.caCert, ...OLD_TLS_CLIENT })).rejects.toThrow(/protocol version/i);
      const cbcOnly = { ca: certs.caCert, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' } as const;
      await expect(handshake(running.port, cbcOnly)).rejects.toThrow(/handshake failure/i);
    } finally {
      session.close();
      source.close();
      await running.close();
    }
  });
});

function gate(): { entered(): void; hasEntered: Promise<void>; release(): void; released: Promise<void> } {
  const entered = Promise.withResolvers<void>();
  const released = Promise.withResolvers<void>();
  return { entered: entered.resolve, hasEntered: entered.promise, release: released.resolve, released: released.promise };
}

function peerFingerprint(session: ClientHttp2Session): string {
  const socket = session.socket;
  if (!(socket instanceof TLSSocket)) throw new Error('the HTTP/2 session is not over TLS');
  return socket.getPeerCertificate().fingerprint256;
}

async function openSession(port: number, ca: string): Promise<ClientHttp2Session> {
  const session = connectHttp2(`https://127.0.0.1:${port}`, { ca, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  return session;
}

function http2Get(session: ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path });
    let status = 0;
    let body = '';
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
  });
}

function http1Get(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpsGet({ host: '127.0.0.1', port, path: '/', ca, servername: 'localhost' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    request.on('error', reject);
  });
}
