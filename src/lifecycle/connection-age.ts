import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2SecureServer, Http2Session } from 'node:http2';
import type { Socket } from 'node:net';

/**
 * Connections are recycled after a maximum age. The API server keeps one HTTP/2 connection to one
 * replica and sends every review on it, so without this a replica started later (a rollout, a
 * scale-up) would get no traffic until something broke the connection. An HTTP/2 session gets a
 * GOAWAY (its streams in flight finish; the client opens a new connection for the next review);
 * an HTTP/1.1 connection answers its next request with `Connection: close`.
 */
export interface ConnectionAgeOptions {
  /** 0 turns recycling off. */
  readonly maxAgeMs: number;
  /** Each connection's age is moved by up to this fraction, so that they do not all end at once. */
  readonly jitter?: number;
  readonly random?: () => number;
}

const DEFAULT_JITTER = 0.1;

export function recycleConnections(server: Http2SecureServer, options: ConnectionAgeOptions): void {
  if (options.maxAgeMs <= 0) return;
  const jitter = options.jitter ?? DEFAULT_JITTER;
  const random = options.random ?? Math.random;
  const ageLimit = (): number => options.maxAgeMs * (1 + jitter * (2 * random() - 1));
  server.on('session', (session: Http2Session) => closeSessionAfter(session, ageLimit()));
  // HTTP/1.1 connections on the HTTP/2 server come through the same 'request' event as streams.
  const expiresAt = new WeakMap<Socket, number>();
  server.on('secureConnection', (socket: Socket) => expiresAt.set(socket, Date.now() + ageLimit()));
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.httpVersionMajor !== 1) return;
    const deadline = expiresAt.get(request.socket);
    // A route may have answered already (the listener runs after Fastify's).
    if (deadline !== undefined && Date.now() >= deadline && !response.headersSent) response.setHeader('connection', 'close');
  });
}

function closeSessionAfter(session: Http2Session, ms: number): void {
  const timer = setTimeout(() => {
    if (!session.closed && !session.destroyed) session.close();
  }, ms);
  timer.unref();
  session.once('close', () => clearTimeout(timer));
}
