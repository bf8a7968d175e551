import type { KubeConfig } from '@kubernetes/client-node';
import { ApiStatusError, getFromApi } from './api-request.ts';
import { GROUP_SNAPSHOT_GROUP, GROUP_SNAPSHOT_VERSIONS, SNAPSHOT_GROUP } from '../rules/snapshot-api.ts';

/** A resource of a group whose served versions vary between clusters (CRD releases). */
export interface DiscoveryTarget {
  readonly group: string;
  readonly plural: string;
  /** The versions this webhook understands, newest first. */
  readonly versions: readonly string[];
}

export const GROUP_SNAPSHOT_CLASSES: DiscoveryTarget = {
  group: GROUP_SNAPSHOT_GROUP,
  plural: 'volumegroupsnapshotclasses',
  versions: GROUP_SNAPSHOT_VERSIONS,
};

export const SNAPSHOT_CLASSES: DiscoveryTarget = {
  group: SNAPSHOT_GROUP,
  plural: 'volumesnapshotclasses',
  versions: ['v1'],
};

export type Discovery = { readonly kind: 'served'; readonly version: string } | { readonly kind: 'absent' };

export interface DiscoveryOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
}

const ABSENT: Discovery = { kind: 'absent' };

/**
 * Which version of the target's resource the cluster serves: the newest one this webhook
 * understands whose group-version lists the resource, or absent when the group is not installed
 * (404) or none of its versions has the resource. Other failures throw: they say nothing about
 * whether the resource exists.
 */
export async function discoverServedVersion(
  kubeConfig: KubeConfig,
  target: DiscoveryTarget,
  options: DiscoveryOptions = {},
): Promise<Discovery> {
  const request = { timeoutMs: options.timeoutMs ?? 10_000, signal: options.signal };
  const groupPath = `/apis/${target.group}`;
  const group = await getFromApi(kubeConfig, groupPath, request);
  if (group.status === 404) {
    return ABSENT;
  }
  expectOk(groupPath, group.status, group.body);
  const served = namesIn(group.body, 'versions', 'version');
  for (const version of target.versions.filter((candidate) => served.has(candidate))) {
    const path = `${groupPath}/${version}`;
    const resources = await getFromApi(kubeConfig, path, request);
    // 404: the version went away between the two requests (a CRD update); try the next one.
    if (resources.status !== 404) {
      expectOk(path, resources.status, resources.body);
      if (namesIn(resources.body, 'resources', 'name').has(target.plural)) {
        return { kind: 'served', version };
      }
    }
  }
  return ABSENT;
}

function expectOk(path: string, status: number, body: unknown): void {
  if (status !== 200) {
    throw new ApiStatusError(path, status, body);
  }
}

/** The `key` of each entry of a document's `list`: an APIGroup's versions (version), an APIResourceList's resources (name). */
function namesIn(body: unknown, list: string, key: string): Set<string> {
  return new Set(
    asArray(field(body, list))
      .map((entry) => field(entry, key))
      .filter(isString),
  );
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
