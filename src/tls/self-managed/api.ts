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
import { ApiStatusError, sendToApi } from '../../cluster/api-request.ts';
import type { ApiResponse } from '../../cluster/api-request.ts';

export type JsonObject = Record<string, unknown>;

export interface ObjectName {
  readonly namespace: string;
  readonly name: string;
}

export type WriteMethod = 'POST' | 'PUT';

export class KubeJsonClient {
  readonly #kubeConfig: KubeConfig;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal;

  constructor(kubeConfig: KubeConfig, timeoutMs: number, signal: AbortSignal) {
    this.#kubeConfig = kubeConfig;
    this.#timeoutMs = timeoutMs;
    this.#signal = signal;
  }

  /** GET; undefined for 404, the object for 200; anything else throws ApiStatusError. */
  async get(path: string): Promise<JsonObject | undefined> {
    const response = await this.#send('GET', path);
    if (response.status === 404) return undefined;
    if (response.status !== 200 || !isObject(response.body)) throw new ApiStatusError(path, response.status, response.body);
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
    if (response.status >= 300 || !isObject(response.body)) throw new ApiStatusError(path, response.status, response.body, method);
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
