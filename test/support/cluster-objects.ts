/**
 * An in-memory cluster for the restore and clone rules: the family's own lookups decide what is
 * read, round after round as the edge does, so the tests exercise the planning too.
 */
import { ObjectStore, refKey, type Lookup, type ObjectRef } from '../../src/rules/cluster-objects.ts';
import { familyFor } from '../../src/rules/table.ts';
import type { KubeObject, RuleRequest } from '../../src/rules/types.ts';

export interface StoredObject {
  readonly ref: ObjectRef;
  readonly object: KubeObject;
}

export function objectsFor(
  resource: { group: string; version: string; resource: string },
  request: RuleRequest,
  stored: readonly StoredObject[],
  unreadable: readonly ObjectRef[] = [],
): ObjectStore {
  const lookups = familyFor(resource)?.lookups;
  const store = new ObjectStore();
  if (lookups === undefined) return store;
  const byKey = new Map(stored.map((entry) => [refKey(entry.ref), entry.object]));
  const failing = new Set(unreadable.map(refKey));
  for (let round = 0; round < 3; round += 1) {
    for (const ref of lookups(request, store).filter((candidate) => !store.has(candidate))) store.set(ref, lookupOf(ref, byKey, failing));
  }
  return store;
}

function lookupOf(ref: ObjectRef, byKey: ReadonlyMap<string, KubeObject>, failing: ReadonlySet<string>): Lookup {
  if (failing.has(refKey(ref))) return { state: 'unreadable', reason: 'GET answered 403: forbidden' };
  const object = byKey.get(refKey(ref));
  return object === undefined ? { state: 'absent' } : { state: 'found', object };
}

/** A PVC as a user writes it. */
export function claim(name: string, spec: KubeObject, status?: KubeObject): KubeObject {
  return { metadata: { name, namespace: 'apps' }, spec, ...(status === undefined ? {} : { status }) };
}

export const SNAPSHOT_DRIVER = 'hostpath.csi.k8s.io';

export function snapshot(name: string, status: KubeObject, spec: KubeObject = {}): StoredObject {
  return {
    ref: { resource: 'volumesnapshots', namespace: 'apps', name },
    object: {
      metadata: { name, namespace: 'apps' },
      spec: { source: { persistentVolumeClaimName: 'db' }, volumeSnapshotClassName: 'csi-hostpath', ...spec },
      status,
    },
  };
}

export function content(name: string, spec: KubeObject, annotations: Record<string, string> = {}): StoredObject {
  return {
    ref: { resource: 'volumesnapshotcontents', name },
    object: { metadata: { name, annotations }, spec: { driver: SNAPSHOT_DRIVER, ...spec } },
  };
}

export function snapshotClass(name: string, driver: string): StoredObject {
  return { ref: { resource: 'volumesnapshotclasses', name }, object: { metadata: { name }, driver, deletionPolicy: 'Delete' } };
}

export function storageClass(name: string, provisioner: string): StoredObject {
  return { ref: { resource: 'storageclasses', name }, object: { metadata: { name }, provisioner } };
}

export function storedClaim(object: KubeObject): StoredObject {
  const metadata = object.metadata as { name: string; namespace: string };
  return { ref: { resource: 'persistentvolumeclaims', namespace: metadata.namespace, name: metadata.name }, object };
}

export function volume(name: string, driver: string): StoredObject {
  return { ref: { resource: 'persistentvolumes', name }, object: { metadata: { name }, spec: { csi: { driver, volumeHandle: 'vol-1' } } } };
}
