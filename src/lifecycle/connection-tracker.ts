import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2SecureServer, Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * Knows the open client connections of the admission server, so that a shutdown can end them
 * gracefully: server.close() alone waits forever for idle keep-alive connections and HTTP/2
 * sessions, and destroying them would fail requests in flight.
 */
export interface ConnectionTracker {
  /** Open connections: HTTP/2 sessions plus HTTP/1.1 sockets. */
  count(): number;
  /** Ends every connection once it is idle: GOAWAY for HTTP/2, close for idle HTTP/1.1. */
  closeGracefully(): void;
  /** Last resort after the grace period. */
  destroyAll(): void;
}

export function trackConnections(server: Http2SecureServer): ConnectionTracker {
  const sessions = new Set<Http2Session>();
  /**
   * HTTP/1.1 sockets → the response to the latest request on each (undefined before the first).
   * Node answers a connection's requests in order, so the socket is idle once that response is
   * done. Keeping it costs a Map write a request, where counting requests in flight took a
   * 'close' listener (and its closure) on every response, 0.2-0.3 µs more a request in a loop of
   * the listeners (bench). The price: an idle connection's last response is held until its next
   * request or its close.
   */
  const sockets = new Map<Socket, ServerResponse | undefined>();
  let closing = false;

  /** Ends the socket after its latest response, unless another request came in meanwhile. */
  const endAfter = (socket: Socket, response: ServerResponse): void => {
    response.once('close', () => {
      if (sockets.get(socket) === response) socket.end();
    });
  };

  /** Every TCP connection, handshake done or not: only for the last resort. */
  const raw = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    raw.add(socket);
    socket.once('close', () => raw.delete(socket));
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    sockets.set(socket, undefined);
    socket.once('close', () => sockets.delete(socket));
    if (closing) socket.end();
  });
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    if (closing) session.close();
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.httpVersionMajor !== 1) return;
    sockets.set(request.socket, response);
    if (!closing) return;
    response.setHeader('connection', 'close');
    endAfter(request.socket, response);
  });

  return {
    count: () => sessions.size + sockets.size,
    closeGracefully() {
      closing = true;
      for (const session of sessions) session.close();
      for (const [socket, response] of sockets) {
        if (response === undefined || isDone(response)) socket.end();
        else endAfter(socket, response);
      }
    },
    destroyAll() {
      for (const session of sessions) session.destroy();
      for (const socket of raw) socket.destroy();
    },
  };
}

/** Written out, or cut off with its socket: either way nothing more is coming on it. */
function isDone(response: ServerResponse): boolean {
  return response.writableFinished || response.destroyed;
}
