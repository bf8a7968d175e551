/**
 * What kube-apiserver does with a validating webhook on a create: it sends an AdmissionReview to
 * the webhook over HTTPS (trusting the caBundle), then refuses the request with the webhook's
 * message, or admits it and passes the webhook's warnings on as Warning headers. When the call
 * fails, its error is worded as kube-apiserver words it (Go's dial and TLS errors), since that is
 * what a person reads in kubectl and what `snapshot-webhook check` reads.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { ApiError, type JsonObject, type ResourceDefinition, type ResourceRef } from './fake-api-store.ts';

export interface AdmissionRequest {
  readonly ref: ResourceRef;
  readonly resource: ResourceDefinition;
  readonly object: JsonObject;
  readonly dryRun: boolean;
}

/** Resolves with the warnings to pass on; rejects with the ApiError to answer when refused. */
export type Admit = (admission: AdmissionRequest) => Promise<string[]>;

export interface WebhookTarget {
  /** The webhook's name in the configuration, as it appears in kube-apiserver's messages. */
  readonly name: string;
  readonly url: string;
  /** PEM: the caBundle. */
  readonly ca: string;
  readonly timeoutMs?: number;
}

interface Answer {
  readonly allowed?: boolean;
  readonly warnings?: string[];
  readonly status?: { readonly code?: number; readonly message?: string };
}

export function admitThrough(target: WebhookTarget): Admit {
  return async (admission) => {
    const answer = await call(target, reviewOf(admission));
    if (answer.allowed === true) return answer.warnings ?? [];
    const code = answer.status?.code ?? 400;
    throw new ApiError(
      code,
      code === 422 ? 'Invalid' : 'BadRequest',
      `admission webhook "${target.name}" denied the request: ${answer.status?.message ?? ''}`,
    );
  };
}

function reviewOf({ ref, resource, object, dryRun }: AdmissionRequest): JsonObject {
  const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
  const gvk = { group: ref.group, version: ref.version, kind: resource.kind };
  const gvr = { group: ref.group, version: ref.version, resource: resource.plural };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: metadata.name ?? '',
      ...(metadata.namespace === undefined ? {} : { namespace: metadata.namespace }),
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:snapshot-webhook:check', groups: ['system:serviceaccounts', 'system:authenticated'] },
      object,
      oldObject: null,
      dryRun,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

function call(target: WebhookTarget, review: JsonObject): Promise<Answer> {
  const timeoutMs = target.timeoutMs ?? 3000;
  const url = `${target.url}?timeout=${timeoutMs / 1000}s`;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: 'POST', ca: target.ca, headers: { 'content-type': 'application/json' }, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { response?: Answer }).response ?? {});
          } catch {
            reject(failedCalling(target, url, `received invalid webhook response: HTTP ${response.statusCode ?? 0}`));
          }
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    outgoing.on('error', (error: NodeJS.ErrnoException) => reject(failedCalling(target, url, goError(error, new URL(url).host))));
    outgoing.end(JSON.stringify(review));
  });
}

/** Node's error as Go's net/http and crypto/tls would have said it. */
function goError(error: NodeJS.ErrnoException, host: string): string {
  if (error.code === 'ECONNREFUSED') return `dial tcp ${host}: connect: connection refused`;
  if (error.code === 'ETIMEDOUT') return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(error.code ?? ''))
    return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  return error.message;
}

function failedCalling(target: WebhookTarget, url: string, reason: string): ApiError {
  return new ApiError(
    500,
    'InternalError',
    `Internal error occurred: failed calling webhook "${target.name}": failed to call webhook: Post "${url}": ${reason}`,
  );
}
