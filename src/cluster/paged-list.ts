import type { KubeConfig } from '@kubernetes/client-node';
import { ApiStatusError, getFromApi } from './api-request.ts';

export interface PagedListOptions {
  /** Objects per LIST request (`limit`); the server may return fewer. */
  readonly pageSize: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** 'gone': the collection answered 404 (its CRD went away, or the version is no longer served). */
export type PagedListEnd = { readonly end: 'listed'; readonly resourceVersion: string } | { readonly end: 'gone' };

/**
 * A LIST in pages (limit/continue), each page handed over as it arrives, so that a caller that
 * keeps only what it needs holds one page at a time, however large the cluster. Resolves with the
 * list's resourceVersion (where a watch continues from).
 */
export async function listInPages(
  kubeConfig: KubeConfig,
  path: string,
  options: PagedListOptions,
  onPage: (items: readonly unknown[]) => void,
): Promise<PagedListEnd> {
  let continueToken = '';
  let resourceVersion: string;
  do {
    const query: Record<string, string> = { limit: String(options.pageSize) };
    if (continueToken !== '') query.continue = continueToken;
    const response = await getFromApi(kubeConfig, path, { query, timeoutMs: options.timeoutMs, signal: options.signal });
    if (response.status === 404) return { end: 'gone' };
    // A 200 that is no list would read as an empty collection (and empty a class cache): refused.
    if (response.status !== 200 || typeof response.body !== 'object' || response.body === null) {
      throw new ApiStatusError(path, response.status, response.body);
    }
    const items = field(response.body, 'items');
    const metadata = field(response.body, 'metadata');
    onPage(Array.isArray(items) ? (items as unknown[]) : []);
    continueToken = stringOrEmpty(field(metadata, 'continue'));
    resourceVersion = stringOrEmpty(field(metadata, 'resourceVersion'));
  } while (continueToken !== '');
  return { end: 'listed', resourceVersion };
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringOrEmpty(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
