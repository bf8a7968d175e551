/**
 * Clients that misbehave on purpose — connect and say nothing, send half a request, trickle a
 * body — and say when the server hung up and what it said first.
 */
import { once } from 'node:events';
import { connect as connectHttp2, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';

export interface Target {
  readonly port: number;
  readonly ca: string;
}

/** When the server closed the connection, and the first bytes it sent (if any). */
export interface Hangup {
  /** Milliseconds from the start to the close. */
  readonly afterMs: number;
  readonly firstLine: string;
  readonly received: string;
}

/** Resolves when the socket closes (or after `limitMs`, with afterMs Infinity). */
export function hangup(socket: Socket, startedAt: number, limitMs = 15_000): Promise<Hangup> {
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ afterMs: Number.POSITIVE_INFINITY, firstLine: received.split('\r\n')[0] ?? '', received });
    }, limitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ afterMs: Date.now() - startedAt, firstLine: received.split('\r\n')[0] ?? '', received });
    });
  });
}

export function tcp(target: Target): Socket {
  return connectTcp({ port: target.port, host: '127.0.0.1' });
}

/** A TLS connection that has finished its handshake, speaking HTTP/1.1. */
export async function tlsHttp1(target: Target): Promise<TLSSocket> {
  const socket = connectTls({ port: target.port, host: '127.0.0.1', servername: 'localhost', ca: target.ca, ALPNProtocols: ['http/1.1'] });
  await once(socket, 'secureConnect');
  return socket;
}

export function requestHead(body: string, contentLength = Buffer.byteLength(body)): string {
  return `POST /validate?timeout=3s HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${contentLength}\r\n\r\n`;
}

/** Writes `text` a few bytes at a time, every `everyMs`, until the socket closes or `stop` says so. */
export function trickle(write: (bytes: string) => boolean, text: string, everyMs: number, closed: () => boolean): void {
  let offset = 0;
  const timer = setInterval(() => {
    if (closed() || offset >= text.length) {
      clearInterval(timer);
      return;
    }
    write(text.slice(offset, offset + 2));
    offset += 2;
  }, everyMs);
}

/** Reads one HTTP/1.1 response off a socket (Content-Length bodies only). */
export async function readHttp1Response(socket: TLSSocket): Promise<{ status: number; body: string }> {
  let received = '';
  for (;;) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    received += chunk.toString('utf8');
    const headEnd = received.indexOf('\r\n\r\n');
    if (headEnd < 0) continue;
    const length = Number(/content-length: *(\d+)/i.exec(received.slice(0, headEnd))?.[1] ?? 0);
    if (Buffer.byteLength(received.slice(headEnd + 4)) >= length) {
      return { status: Number(received.slice(9, 12)), body: received.slice(headEnd + 4) };
    }
  }
}

export interface Http2Outcome {
  readonly status: number;
  readonly body: string;
  /** Milliseconds from the start until the stream closed. */
  readonly afterMs: number;
  readonly rstCode: number | undefined;
}

/** Sends `head` of a body on a new stream (and the rest only if `rest` is set), and waits for the stream to close. */
export function http2Stream(
  session: ClientHttp2Session,
  startedAt: number,
  send: (stream: ClientHttp2Stream) => void,
): Promise<Http2Outcome> {
  return new Promise((resolve) => {
    const stream = session.request({ ':method': 'POST', ':path': '/validate?timeout=3s', 'content-type': 'application/json' });
    let status = 0;
    let body = '';
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    stream.on('error', () => undefined);
    stream.on('close', () => resolve({ status, body, afterMs: Date.now() - startedAt, rstCode: stream.rstCode }));
    send(stream);
  });
}

export function http2Session(target: Target): ClientHttp2Session {
  const session = connectHttp2(`https://localhost:${target.port}`, { ca: target.ca });
  session.on('error', () => undefined);
  return session;
}
