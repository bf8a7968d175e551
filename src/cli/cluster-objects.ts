import type { KubeConfig } from '@kubernetes/client-node';
import { gatherObjects } from '../admission/gather-objects.ts';
import type { ReadObject } from '../cluster/object-reader.ts';
import { listInPages } from '../cluster/paged-list.ts';
import type { ObjectStore } from '../rules/cluster-objects.ts';
import type { ResourceFamily } from '../rules/table.ts';
import { isRecord, stringAt } from '../rules/object-access.ts';
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

/** A paged LIST (cluster/paged-list.ts) of the objects of a collection, page by page. */
export async function forEachPage(
  kubeConfig: KubeConfig,
  path: string,
  options: ListOptions,
  onPage: (items: readonly KubeObject[]) => void,
): Promise<ListEnd> {
  const listed = await listInPages(kubeConfig, path, options, (items) => onPage(items.filter(isRecord)));
  return listed.end;
}

/** Every object of a collection; none when it answers 404. */
export async function listAll(kubeConfig: KubeConfig, path: string, options: ListOptions = DEFAULT_LIST_OPTIONS): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  const end = await forEachPage(kubeConfig, path, options, (items) => objects.push(...items));
  return end === 'gone' ? [] : objects;
}

/** Per object checked, for the reads its rules need: a command can wait longer than the webhook's 1 s. */
const LOOKUP_DEADLINE_MS = 10_000;

/**
 * The objects the rules of an object's family read (its restore source, its PVC…), as the webhook
 * reads them for a CREATE of it: one GET each through `read`. Undefined for a family that reads none.
 */
export async function creationLookups(family: ResourceFamily, object: KubeObject, read: ReadObject): Promise<ObjectStore | undefined> {
  if (family.lookups === undefined) return undefined;
  const namespace = family.namespaced ? (stringAt(object, 'metadata.namespace') ?? 'default') : undefined;
  return gatherObjects(family.lookups, { operation: 'CREATE', object, oldObject: null, namespace }, read, LOOKUP_DEADLINE_MS);
}
