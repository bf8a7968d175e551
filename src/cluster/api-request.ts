import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import { request as httpRequest, type Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { WebhookError } from '../errors.ts';

export interface ApiResponse {
  readonly status: number;
  /** The decoded JSON body, or undefined when the body is not JSON (a 404 from a missing group). */
  readonly body: unknown;
  /** The texts of the Warning headers (`299 - "text"`): what admission webhooks warned about. */
  readonly warnings: readonly string[];
}

/** An answer the caller did not expect (neither success nor one of the statuses it handles). */
export class ApiStatusError extends WebhookError {
  readonly status: number;

  constructor(path: string, status: number, body: unknown, method: ApiMethod = 'GET') {
    super('API_STATUS', method, path, String(status), describeStatus(body));
    this.name = 'ApiStatusError';
    this.status = status;
  }
}

export interface GetOptions {
  readonly query?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Aborts the request when the caller stops. */
  readonly signal?: AbortSignal | undefined;
}

export type ApiMethod = 'GET' | 'POST' | 'PUT';

export interface ApiRequest extends GetOptions {
  readonly method: ApiMethod;
  readonly path: string;
  /** Sent as JSON. */
  readonly body?: unknown;
}

/**
 * How long one keep-alive connection pool to the API server is used. Reviews with lookups send a
 * request or two each: a pool keeps them on open connections (client-node's fetch transport made
 * a new undici Agent, hence a TLS handshake, for every request: about 4 ms of CPU a review). The
 * pool is replaced after this long, so that rotated client certificates and CAs in kubeconfig
 * files take effect.
 */
const POOL_REUSE_MS = 5 * 60_000;
/** A replaced pool's connections are closed once its requests in flight are surely over. */
const POOL_RETIRE_MS = 2 * 60_000;

const pools = new WeakMap<KubeConfig, { readonly agent: HttpsAgent; readonly until: number }>();

/**
 * The connection pool for a request whose options client-node has filled in. Through a proxy, or
 * over plain HTTP, client-node's own agent (it caches one per cluster); else a keep-alive pool with
 * the same TLS settings.
 */
function pooledAgent(kubeConfig: KubeConfig, cluster: Cluster, options: RequestOptions): HttpAgent | HttpsAgent | undefined {
  if (cluster.proxyUrl !== undefined || cluster.server.startsWith('http:'))
    return typeof options.agent === 'object' ? options.agent : undefined;
  const now = performance.now();
  const pool = pools.get(kubeConfig);
  if (pool !== undefined && now < pool.until) return pool.agent;
  const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = options;
  const agent = new HttpsAgent({ keepAlive: true, ca, cert, key, pfx, passphrase, rejectUnauthorized, servername });
  pools.set(kubeConfig, { agent, until: now + POOL_REUSE_MS });
  if (pool !== undefined) setTimeout(() => pool.agent.destroy(), POOL_RETIRE_MS).unref();
  return agent;
}

/**
 * GET a path of the API server, authenticated by client-node (see sendToApi).
 * Raw rather than through the generated clients: discovery of a group has no generated call, and
 * a list needs a timeout the generated calls do not take.
 */
export function getFromApi(kubeConfig: KubeConfig, path: string, options: GetOptions): Promise<ApiResponse> {
  return sendToApi(kubeConfig, { ...options, method: 'GET', path });
}

/**
 * One request to the API server, authenticated by client-node (CA, client certificates, tokens,
 * exec plugins, proxies: whatever the kubeconfig says). Resolves with whatever status the API
 * server answers; rejects only when no answer comes (with the signal's reason when it is aborted
 * or times out).
 */
export async function sendToApi(kubeConfig: KubeConfig, options: ApiRequest): Promise<ApiResponse> {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    throw new WebhookError('KUBECONFIG_INVALID', 'it has no current cluster');
  }
  const url = new URL(cluster.server + options.path);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    url.searchParams.set(key, value);
  }
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    Accept: 'application/json',
    ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
  };
  const requestOptions: RequestOptions = { method: options.method, headers };
  await kubeConfig.applyToHTTPSOptions(requestOptions);
  requestOptions.agent = pooledAgent(kubeConfig, cluster, requestOptions);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  return exchange(url, requestOptions, body, options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]));
}

function exchange(url: URL, options: RequestOptions, body: string | undefined, signal: AbortSignal): Promise<ApiResponse> {
  const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject(signal.aborted ? (signal.reason as Error) : error);
    const outgoing = send(url, { ...options, signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const warnings = (response.headersDistinct.warning ?? []).map(warningText);
        resolve({ status: response.statusCode ?? 0, body: parseJson(Buffer.concat(chunks).toString('utf8')), warnings });
      });
      response.on('error', fail);
    });
    outgoing.on('error', fail);
    outgoing.end(body);
  });
}

/** `299 - "text"` (RFC 7234, as kube-apiserver writes it) → text; anything else as it came. */
function warningText(header: string): string {
  const quoted = /^\d{3} \S+ (".*")$/.exec(header)?.[1];
  if (quoted === undefined) return header;
  const text = parseJson(quoted);
  return typeof text === 'string' ? text : header;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The message of a metav1.Status body, if it is one. */
export function statusMessage(body: unknown): string | undefined {
  return typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string' ? body.message : undefined;
}

function describeStatus(body: unknown): string {
  const message = statusMessage(body);
  return message === undefined ? '' : `: ${message}`;
}
