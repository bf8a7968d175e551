import type { Http2SecureServer, Http2Session, Http2ServerRequest, Http2ServerResponse } from 'node:http2';
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
  /** HTTP/1.1 sockets → requests in flight on them. */
  const sockets = new Map<Socket, number>();
  let closing = false;

  /** Every TCP connection, handshake done or not: only for the last resort. */
  const raw = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    raw.add(socket);
    socket.once('close', () => raw.delete(socket));
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    sockets.set(socket, 0);
    socket.once('close', () => sockets.delete(socket));
    if (closing) socket.end();
  });
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    if (closing) session.close();
  });
  server.on('request', (request: Http2ServerRequest, response: Http2ServerResponse) => {
    if (request.httpVersionMajor !== 1) return;
    const socket = request.socket;
    sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
    if (closing) response.setHeader('connection', 'close');
    response.once('close', () => {
      if (!sockets.has(socket)) return;
      const inFlight = (sockets.get(socket) ?? 1) - 1;
      sockets.set(socket, inFlight);
      if (closing && inFlight === 0) socket.end();
    });
  });

  return {
    count: () => sessions.size + sockets.size,
    closeGracefully() {
      closing = true;
      for (const session of sessions) session.close();
      for (const [socket, inFlight] of sockets) {
        if (inFlight === 0) socket.end();
      }
    },
    destroyAll() {
      for (const session of sessions) session.destroy();
      for (const socket of raw) socket.destroy();
    },
  };
}
