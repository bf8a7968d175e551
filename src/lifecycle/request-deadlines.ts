import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Socket } from 'node:net';
import { errorBodyOf, WebhookError } from '../errors.ts';

/**
 * A deadline for each request, so that a slow or stalled sender cannot keep a connection (and
 * its memory) for ever. With Node's defaults on an HTTP/2 server with allowHTTP1, an HTTP/2
 * stream whose body never ends is kept indefinitely (the idle session timeout only sends GOAWAY,
 * which waits for open streams), HTTP/1.1 gets 408 only after minutes, and a TLS handshake that
 * never finishes is dropped after 120 s (docs/reliability.md, fix 3).
 *
 * The API server sends a review whole and at once and gives up on it after its webhook timeout
 * (at most 30 s), so nothing it waits for is cut by a deadline of that length.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Node checks HTTP/1.1 deadlines on an interval: a deadline is only as exact as the check. */
const CHECK_INTERVAL_MS = 1_000;

interface Http1Deadlines {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
}

function timeoutError(requestTimeoutMs: number): WebhookError {
  return new WebhookError('REQUEST_TIMEOUT', String(requestTimeoutMs / 1000));
}

/**
 * HTTP/1.1: Node's own headersTimeout/requestTimeout, which it applies to the HTTP/1.1
 * connections of an HTTP/2 server too (answered by requestTimeoutClientErrorHandler). HTTP/2: a
 * timer a request; when it fires before the body is in, the request fails with
 * SVW_ERR_REQUEST_TIMEOUT, answered (408) like any other bad request, and only that stream ends.
 * The TLS handshake deadline is the server option handshakeTimeout (see buildApp).
 *
 * Call it before listen(): Node starts the HTTP/1.1 check when the server starts listening.
 */
export function enforceRequestDeadlines(server: Http2SecureServer, requestTimeoutMs: number): void {
  const http1 = server as unknown as Http1Deadlines;
  http1.headersTimeout = requestTimeoutMs;
  http1.requestTimeout = requestTimeoutMs;
  http1.connectionsCheckingInterval = Math.min(CHECK_INTERVAL_MS, requestTimeoutMs);
  server.on('request', (request: Http2ServerRequest, response: Http2ServerResponse) => {
    if (request.httpVersionMajor !== 2) return;
    const timer = setTimeout(() => expire(request, response, requestTimeoutMs), requestTimeoutMs);
    timer.unref();
    // on, not once: 'close' comes once, and once() would wrap the listener for every review.
    request.stream.on('close', () => clearTimeout(timer));
  });
}

function expire(request: Http2ServerRequest, response: Http2ServerResponse, requestTimeoutMs: number): void {
  const stream = request.stream;
  if (stream.closed || stream.destroyed) return;
  // The body parser is waiting (it listens for errors): the request ends in the error handler,
  // answered (408) and logged once. Without a listener an 'error' would be thrown instead.
  if (!request.complete && !response.headersSent && request.listenerCount('error') > 0) {
    request.emit('error', timeoutError(requestTimeoutMs));
  }
  // Then, or if nobody reads the body: RFC 9113 §8.1 lets a server ask the client to stop
  // sending with NO_ERROR.
  setImmediate(() => {
    if (!stream.closed) stream.close();
  });
}

/** What Fastify's own handler answers to the other client errors (HTTP/1.1 that does not parse). */
const CLIENT_ERRORS: Readonly<Record<string, { status: string; message: string }>> = {
  HPE_HEADER_OVERFLOW: { status: '431 Request Header Fields Too Large', message: 'Exceeded maximum allowed HTTP header size' },
};
const OTHER_CLIENT_ERROR = { status: '400 Bad Request', message: 'Client Error' };

function clientErrorAnswer(error: NodeJS.ErrnoException, requestTimeoutMs: number): { status: string; body: object } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: '408 Request Timeout', body: errorBodyOf(timeoutError(requestTimeoutMs)) };
  }
  const { status, message } = CLIENT_ERRORS[error.code ?? ''] ?? OTHER_CLIENT_ERROR;
  return { status, body: { statusCode: Number(status.slice(0, 3)), error: status.slice(4), message } };
}

/**
 * Fastify's clientErrorHandler: Node's 408 for a late HTTP/1.1 request in the catalogue's words
 * (as HTTP/2 gets it), the rest as Fastify answers them; then the connection is closed.
 */
export function requestTimeoutClientErrorHandler(requestTimeoutMs: number) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, body } = clientErrorAnswer(error, requestTimeoutMs);
    const text = JSON.stringify(body);
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
    }
    socket.destroy();
  };
}
