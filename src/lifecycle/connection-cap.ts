import type { IncomingMessage } from 'node:http';
import type { Http2SecureServer, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';

/** The `reason` of connections_closed_total for a connection closed to make room. */
export const OVER_CAPACITY = 'over-capacity';

/**
 * At most `maxConnections` client connections. When one more arrives, the oldest connection that
 * has not sent a request yet (still in its TLS handshake, its HTTP/2 preface, or silent after it)
 * is closed to make room, and only when every connection has sent one is the newcomer refused.
 * Refusing the newest instead (Node's server.maxConnections) let a flood of connections that say
 * nothing keep out a client that talks, such as the API server reconnecting after a GOAWAY, until
 * the request timeout cut them.
 */
export function capConnections(
  server: Http2SecureServer,
  maxConnections: number,
  onEvict: (remoteAddress: string | undefined) => void,
): void {
  /** TCP sockets without a request so far, oldest first (a Set iterates in insertion order). */
  const silent = new Set<Socket>();
  let open = 0;
  server.on('connection', (socket: Socket) => {
    open += 1;
    socket.once('close', () => {
      open -= 1;
      silent.delete(socket);
    });
    if (open > maxConnections) {
      const oldest = silent.values().next().value;
      if (oldest === undefined) {
        socket.destroy();
        return;
      }
      silent.delete(oldest);
      const { remoteAddress } = oldest;
      oldest.destroy();
      onEvict(remoteAddress);
    }
    silent.add(socket);
  });
  // The TLS socket a request arrives on wraps the TCP socket the 'connection' event gave.
  const talked = (tlsSocket: Socket | null | undefined): void => {
    const parent = (tlsSocket as { _parent?: Socket } | null | undefined)?._parent;
    if (parent !== undefined) silent.delete(parent);
  };
  server.on('session', (session: ServerHttp2Session) => session.once('stream', () => talked(session.socket)));
  server.on('request', (request: IncomingMessage) => {
    if (request.httpVersionMajor === 1) talked(request.socket);
  });
}
