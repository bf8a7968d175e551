import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { Registry } from 'prom-client';

/**
 * /livez, /readyz and /metrics on a plain-HTTP port of their own, so probes and scrapes never
 * need the admission certificate and never carry request content.
 */
export interface ProbeServerOptions {
  readonly port: number;
  readonly host: string;
  readonly registry: Registry;
  /** Why the webhook is not ready (empty when ready): certificate, caches, shutting down. */
  readonly notReadyReasons: () => readonly string[];
}

export async function startProbeServer(options: ProbeServerOptions): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/livez') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const reasons = options.notReadyReasons();
      const body = reasons.length === 0 ? 'ok\n' : `not ready: ${reasons.join('; ')}\n`;
      response.writeHead(reasons.length === 0 ? 200 : 503, { 'content-type': 'text/plain' }).end(body);
    } else if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
      );
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /livez, /readyz or /metrics\n');
    }
  });
  // Probes come every few seconds from the kubelet; a slow client must not hold a socket forever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.listen(options.port, options.host);
  await once(server, 'listening');
  return server;
}
