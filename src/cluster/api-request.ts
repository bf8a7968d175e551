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

  constructor(path: string, status: number, body: unknown) {
    super(`GET ${path} answered ${status}${describeStatus(body)}`);
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

const http = new IsomorphicFetchHttpLibrary();

/**
 * GET a path of the API server with client-node's own transport, so that every kubeconfig
 * feature it supports (CA, client certificates, tokens, exec plugins, proxies) applies here too.
 * Raw rather than through the generated clients: discovery of a group has no generated call, and
 * a list needs a timeout the generated calls do not take.
 */
export async function getFromApi(kubeConfig: KubeConfig, path: string, options: GetOptions): Promise<ApiResponse> {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) {
    throw new Error('the kubeconfig has no current cluster');
  }
  const url = new URL(cluster.server + path);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    url.searchParams.set(key, value);
  }
  const request = new RequestContext(url.toString(), HttpMethod.GET);
  request.setHeaderParam('Accept', 'application/json');
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
