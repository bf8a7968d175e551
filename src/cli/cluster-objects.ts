import type { KubeConfig } from '@kubernetes/client-node';
import { ApiStatusError, getFromApi } from '../cluster/api-request.ts';
import { isRecord } from '../rules/object-access.ts';
import type { KubeObject } from '../rules/types.ts';

/**
 * Reading objects out of a cluster for the commands (`validate --kubeconfig`, `audit`): plain
 * paged LISTs, once, no watch — a command runs for a moment and then the objects are thrown away.
 */
export const DEFAULT_PAGE_SIZE = 500;
export const REQUEST_TIMEOUT_MS = 30_000;

export interface ListOptions {
  /** Objects per LIST request (`limit`); the server may return fewer. */
  readonly pageSize: number;
  readonly timeoutMs: number;
}

export const DEFAULT_LIST_OPTIONS: ListOptions = { pageSize: DEFAULT_PAGE_SIZE, timeoutMs: REQUEST_TIMEOUT_MS };

/** 'gone': the collection answered 404 (its CRD went away since discovery). */
export type ListEnd = 'listed' | 'gone';

/**
 * A LIST in pages (limit/continue), each page handed over as it arrives so that a caller that
 * only keeps what it finds holds one page at a time, however large the cluster.
 */
export async function forEachPage(
  kubeConfig: KubeConfig,
  path: string,
  options: ListOptions,
  onPage: (items: readonly KubeObject[]) => void,
): Promise<ListEnd> {
  let continueToken = '';
  do {
    const query: Record<string, string> = { limit: String(options.pageSize) };
    if (continueToken !== '') query.continue = continueToken;
    const response = await getFromApi(kubeConfig, path, { query, timeoutMs: options.timeoutMs });
    if (response.status === 404) return 'gone';
    if (response.status !== 200 || !isRecord(response.body)) throw new ApiStatusError(path, response.status, response.body);
    const { items, metadata } = response.body;
    onPage(Array.isArray(items) ? items.filter(isRecord) : []);
    continueToken = isRecord(metadata) && typeof metadata.continue === 'string' ? metadata.continue : '';
  } while (continueToken !== '');
  return 'listed';
}

/** Every object of a collection; none when it answers 404. */
export async function listAll(kubeConfig: KubeConfig, path: string, options: ListOptions = DEFAULT_LIST_OPTIONS): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  const end = await forEachPage(kubeConfig, path, options, (items) => objects.push(...items));
  return end === 'gone' ? [] : objects;
}
