/**
 * Reads the single objects the restore and clone rules need: one GET each, under a deadline well
 * inside the webhook's timeout. Never throws: a failure is an "unreadable" lookup, which the rules
 * turn into a warning, never a denial.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError } from '../errors.ts';
import type { Lookup, LookupResource, ObjectRef } from '../rules/cluster-objects.ts';
import { getFromApi } from './api-request.ts';

export type ReadObject = (ref: ObjectRef, signal: AbortSignal) => Promise<Lookup>;

const COLLECTIONS: Readonly<Record<LookupResource, string>> = {
  persistentvolumeclaims: '/api/v1',
  persistentvolumes: '/api/v1',
  storageclasses: '/apis/storage.k8s.io/v1',
  volumesnapshots: '/apis/snapshot.storage.k8s.io/v1',
  volumesnapshotcontents: '/apis/snapshot.storage.k8s.io/v1',
  volumesnapshotclasses: '/apis/snapshot.storage.k8s.io/v1',
};

export function objectPath(ref: ObjectRef): string {
  const scope = ref.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(ref.namespace)}`;
  return `${COLLECTIONS[ref.resource]}${scope}/${ref.resource}/${encodeURIComponent(ref.name)}`;
}

export interface ObjectReaderOptions {
  readonly timeoutMs: number;
  /** Called with each outcome, for the lookups metric. */
  readonly onOutcome?: (resource: LookupResource, outcome: 'found' | 'absent' | 'failed') => void;
}

export function objectReader(kubeConfig: KubeConfig, options: ObjectReaderOptions): ReadObject {
  return async (ref, signal) => {
    const lookup = await readOnce(kubeConfig, ref, { timeoutMs: options.timeoutMs, signal });
    options.onOutcome?.(ref.resource, lookup.state === 'unreadable' ? 'failed' : lookup.state);
    return lookup;
  };
}

async function readOnce(kubeConfig: KubeConfig, ref: ObjectRef, request: { timeoutMs: number; signal: AbortSignal }): Promise<Lookup> {
  const path = objectPath(ref);
  try {
    const response = await getFromApi(kubeConfig, path, request);
    if (response.status === 404) return { state: 'absent' };
    if (response.status === 200 && typeof response.body === 'object' && response.body !== null) {
      return { state: 'found', object: response.body as Readonly<Record<string, unknown>> };
    }
    return { state: 'unreadable', reason: `GET ${path} answered ${response.status}${statusMessage(response.body)}` };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { state: 'unreadable', reason: timedOut ? `no answer within ${request.timeoutMs / 1000} s` : describeError(error) };
  }
}

function statusMessage(body: unknown): string {
  const message = typeof body === 'object' && body !== null && 'message' in body ? body.message : undefined;
  return typeof message === 'string' ? `: ${message}` : '';
}
