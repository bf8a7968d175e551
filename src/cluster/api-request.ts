import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

export interface ApiResponse {
  readonly status: number;
  /** The decoded JSON body, or undefined when the body is not JSON (a 404 from a missing group). */
  readonly body: unknown;
}

/** An answer the caller did not expect (neither success nor one of the statuses it handles). */
export class ApiStatusError extends Error {
  readonly status: number;

  constructor(path: string, status: number, body: unknown, method: ApiMethod = 'GET') {
    super(`${method} ${path} answered ${status}${describeStatus(body)}`);
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

const http = new IsomorphicFetchHttpLibrary();
const METHODS: Readonly<Record<ApiMethod, HttpMethod>> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
};

/**
 * GET a path of the API server with client-node's own transport (see sendToApi).
 * Raw rather than through the generated clients: discovery of a group has no generated call, and
 * a list needs a timeout the generated calls do not take.
 */
export function getFromApi(kubeConfig: KubeConfig, path: string, options: GetOptions): Promise<ApiResponse> {
  return sendToApi(kubeConfig, { ...options, method: 'GET', path });
}

/**
 * One request to the API server with client-node's own transport, so that every kubeconfig
 * feature it supports (CA, client certificates, tokens, exec plugins, proxies) applies here too.
 * Resolves with whatever status the API server answers; rejects only when no answer comes.
 */
export async function sendToApi(kubeConfig: KubeConfig, options: ApiRequest): Promise<ApiResponse> {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    throw new Error('the kubeconfig has no current cluster');
  }
  const url = new URL(cluster.server + options.path);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    url.searchParams.set(key, value);
  }
  const request = new RequestContext(url.toString(), METHODS[options.method]);
  request.setHeaderParam('Accept', 'application/json');
  if (options.body !== undefined) {
    request.setHeaderParam('Content-Type', 'application/json');
    request.setBody(JSON.stringify(options.body));
  }
  await kubeConfig.applySecurityAuthentication(request);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  request.setSignal(options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]));
  const response = await http.send(request).toPromise();
  const text = await response.body.text();
  return { status: response.httpStatusCode, body: parseJson(text) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeStatus(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
    return `: ${body.message}`;
  }
  return '';
}
