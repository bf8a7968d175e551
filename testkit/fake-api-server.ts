import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import { stringify } from 'yaml';
import type { Admit } from './fake-admission.ts';
import { handleApiRequest } from './fake-api-handlers.ts';
import { ApiError, ApiStore } from './fake-api-store.ts';
import type { GroupDefinition, JsonObject, ResourceRef } from './fake-api-store.ts';
import { WatchHub } from './fake-api-watch.ts';
import type { ExpiredAnswer } from './fake-api-watch.ts';
import { sendError } from './fake-api-wire.ts';

export type { GroupDefinition, JsonObject, ResourceDefinition, ResourceRef } from './fake-api-store.ts';

/** One request the fake server received, for assertions. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly at: number;
  /** Set when the response is over (a watch: when its connection closes). */
  status?: number;
}

export interface FakeApiServerOptions {
  /** Groups installed from the start. */
  readonly groups?: readonly GroupDefinition[];
  /** The bearer token clients must send (the kubeconfig carries it). */
  readonly token?: string;
}

interface Certificates {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

let certificates: Promise<Certificates> | undefined;

/** A CA and a serving certificate for 127.0.0.1, made once per test process (it takes a moment). */
async function loopbackCertificates(): Promise<Certificates> {
  certificates ??= (async () => {
    // SHA-256 and one key type for CA and leaf: Node refuses selfsigned's SHA-1 default.
    const common = { algorithm: 'sha256', keyType: 'ec', curve: 'P-256' } as const;
    const ca = await generate([{ name: 'commonName', value: 'fake-kube-apiserver-ca' }], {
      ...common,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    const leaf = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
      ...common,
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 2, value: 'localhost' },
          ],
        },
      ],
    });
    return { caCert: ca.cert, cert: leaf.cert, key: leaf.private };
  })();
  return certificates;
}

/**
 * A small kube-apiserver over HTTPS for tests: discovery, LIST (paged), WATCH (chunked JSON
 * lines, bookmarks, 410 after compaction), GET/POST/PUT/PATCH/DELETE on objects, bearer-token
 * auth — and controls to break it the ways a real one breaks.
 */
export class FakeApiServer {
  readonly store = new ApiStore();
  readonly requests: RecordedRequest[] = [];
  readonly token: string;
  readonly #watches = new WatchHub(this.store);
  readonly #server: Server;
  readonly #caCert: string;
  #port = 0;
  #reachable = true;
  readonly #sockets = new Set<Socket>();
  #connections = 0;
  /** The validating webhook creates go through (fake-admission.ts), when one is registered. */
  admission: Admit | undefined = undefined;
  /** Requests to these paths are taken and never answered (a stuck API server), until close. */
  readonly stalledPaths = new Set<string>();

  private constructor(certs: Certificates, token: string) {
    this.#caCert = certs.caCert;
    this.token = token;
    this.#server = createServer({ cert: certs.cert, key: certs.key }, (request, response) => {
      this.#serve(request, response);
    });
    // As the real one, keep idle connections longer than clients reuse them.
    this.#server.keepAliveTimeout = 90_000;
    // closeAllConnections() knows only sockets past the TLS handshake: a client that gave up
    // mid-handshake would keep close() waiting, so every raw socket is tracked here.
    this.#server.on('connection', (socket: Socket) => {
      this.#connections += 1;
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const server = new FakeApiServer(await loopbackCertificates(), options.token ?? 'fake-token');
    for (const group of options.groups ?? []) {
      server.installGroup(group);
    }
    await server.#listen(0);
    return server;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  /** PEM of the CA that signed the server's certificate. */
  get caCert(): string {
    return this.#caCert;
  }

  /** TCP connections accepted since the start (each one a TLS handshake). */
  get connectionsAccepted(): number {
    return this.#connections;
  }

  /** Watches currently open. */
  get openWatches(): number {
    return this.#watches.size;
  }

  installGroup(definition: GroupDefinition): void {
    this.store.installGroup(definition);
  }

  /** Removes a group and its objects; its open watches end and later requests get 404. */
  uninstallGroup(name: string): void {
    this.store.uninstallGroup(name);
    this.#watches.end(name);
  }

  createObject(ref: ResourceRef, object: JsonObject): JsonObject {
    return this.store.create(ref, object);
  }

  /** Replaces an object (no resourceVersion check unless the object carries one). */
  updateObject(ref: ResourceRef, object: JsonObject): JsonObject {
    return this.store.update(ref, object);
  }

  deleteObject(ref: ResourceRef, name: string): JsonObject {
    return this.store.remove(ref, name);
  }

  getObject(ref: ResourceRef, name: string): JsonObject | undefined {
    return this.store.get(ref, name);
  }

  /** Ends every open watch cleanly, as the server does when a watch's timeoutSeconds is up. */
  closeWatches(): void {
    this.#watches.end();
  }

  /** Breaks every open watch connection (clients see the stream fail). */
  dropWatches(): void {
    this.#watches.dropAll();
  }

  /**
   * Compacts the history: open watches end with an ERROR 410 event and watches from an older
   * resourceVersion are refused — by an ERROR event (as kube-apiserver does) or an HTTP 410.
   */
  expireWatches(answer: ExpiredAnswer = 'event'): void {
    this.#watches.expiredAnswer = answer;
    this.#watches.expireAll();
  }

  /** While on, every watch is refused as expired, even from the resourceVersion of a fresh LIST. */
  expireEveryWatch(on: boolean): void {
    this.#watches.expireEveryWatch = on;
  }

  /** While on, watch requests are accepted and never answered, not even with headers. */
  holdWatches(on: boolean): void {
    this.#watches.holdWatches = on;
  }

  /** Sends a BOOKMARK to every watch that asked for them. */
  bookmark(): void {
    this.#watches.bookmark();
  }

  /** Closes the listener and every connection (clients get ECONNREFUSED); false listens again on the same port. */
  async setUnreachable(unreachable: boolean): Promise<void> {
    if (unreachable === !this.#reachable) {
      return;
    }
    this.#reachable = !unreachable;
    if (unreachable) {
      await this.#stopListening();
    } else {
      await this.#listen(this.#port);
    }
  }

  /** Requests matching a path (and method), e.g. to count LISTs or WATCHes. */
  requestsTo(path: string, method = 'GET'): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path && request.method === method);
  }

  kubeconfigYaml(): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'fake',
          cluster: { server: this.url, 'certificate-authority-data': Buffer.from(this.#caCert).toString('base64') },
        },
      ],
      users: [{ name: 'fake', user: { token: this.token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
      'current-context': 'fake',
    });
  }

  /** Writes a kubeconfig for this server and returns its path. */
  async writeKubeconfig(path: string): Promise<string> {
    await writeFile(path, this.kubeconfigYaml(), { mode: 0o600 });
    return path;
  }

  kubeConfig(): KubeConfig {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(this.kubeconfigYaml());
    return kubeConfig;
  }

  async close(): Promise<void> {
    if (!this.#reachable) {
      return;
    }
    this.#reachable = false;
    await this.#stopListening();
  }

  /** Closes the listener and destroys every connection, including those still in a TLS handshake. */
  async #stopListening(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) {
      socket.destroy();
    }
    await closed;
  }

  async #listen(port: number): Promise<void> {
    this.#server.listen(port, '127.0.0.1');
    await once(this.#server, 'listening');
    const address = this.#server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : port;
  }

  #serve(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.url);
    const record: RecordedRequest = {
      method: request.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      at: Date.now(),
    };
    this.requests.push(record);
    response.on('close', () => {
      record.status = response.statusCode;
    });
    if (this.stalledPaths.has(url.pathname)) return;
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      sendError(response, new ApiError(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    handleApiRequest(request, response, { store: this.store, watches: this.#watches, admit: this.admission }).catch((error: unknown) => {
      sendError(response, error);
    });
  }
}
