/**
 * The few API calls of the self-managed certificates: GET, POST and PUT of one Secret and one
 * ValidatingWebhookConfiguration, as raw JSON over client-node's own transport (sent by
 * cluster/api-request.ts, so every kubeconfig feature applies).
 *
 * Raw JSON rather than the generated clients: a round trip through the generated models drops
 * the fields they do not know (those of a newer API server's webhooks), and a PUT would then
 * erase them from the live object.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { sendToApi } from '../cluster/api-request.ts';
import type { ApiResponse } from '../cluster/api-request.ts';

export type JsonObject = Record<string, unknown>;

export interface ObjectName {
  readonly namespace: string;
  readonly name: string;
}

export type WriteMethod = 'POST' | 'PUT';

/** An answer the caller does not handle, with what the API server said. */
export class KubeApiError extends Error {
  readonly status: number;

  constructor(method: string, path: string, response: ApiResponse) {
    super(`${method} ${path} answered ${response.status}${describeStatus(response.body)}`);
    this.name = 'KubeApiError';
    this.status = response.status;
  }
}

export class KubeJsonClient {
  readonly #kubeConfig: KubeConfig;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal;

  constructor(kubeConfig: KubeConfig, timeoutMs: number, signal: AbortSignal) {
    this.#kubeConfig = kubeConfig;
    this.#timeoutMs = timeoutMs;
    this.#signal = signal;
  }

  /** GET; undefined for 404, the object for 200; anything else throws KubeApiError. */
  async get(path: string): Promise<JsonObject | undefined> {
    const response = await this.#send('GET', path);
    if (response.status === 404) return undefined;
    if (response.status !== 200 || !isObject(response.body)) throw new KubeApiError('GET', path, response);
    return response.body;
  }

  /**
   * POST or PUT: the stored object; 'conflict' for 409 (AlreadyExists, or a stale
   * resourceVersion); 'not-found' for 404 (a PUT of an object deleted meanwhile).
   */
  async write(method: WriteMethod, path: string, body: JsonObject): Promise<JsonObject | 'conflict' | 'not-found'> {
    const response = await this.#send(method, path, body);
    if (response.status === 409) return 'conflict';
    if (response.status === 404) return 'not-found';
    if (response.status >= 300 || !isObject(response.body)) throw new KubeApiError(method, path, response);
    return response.body;
  }

  #send(method: 'GET' | WriteMethod, path: string, body?: JsonObject): Promise<ApiResponse> {
    return sendToApi(this.#kubeConfig, { method, path, body, timeoutMs: this.#timeoutMs, signal: this.#signal });
  }
}

export function secretPath(secret: ObjectName): string {
  return `/api/v1/namespaces/${secret.namespace}/secrets/${secret.name}`;
}

export function secretsPath(namespace: string): string {
  return `/api/v1/namespaces/${namespace}/secrets`;
}

export function webhookConfigurationPath(name: string): string {
  return `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}`;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An error as a log line: fetch failures keep the useful part (ECONNREFUSED …) in their cause. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function describeStatus(body: unknown): string {
  return isObject(body) && typeof body.message === 'string' ? `: ${body.message}` : '';
}
