/**
 * The objects the restore and clone rules read (docs/rules.md, rules 20–23), taken from the
 * manifests of the set: a restore is checked against the snapshot, content, classes and
 * StorageClass the same files define. What the files do not define is not known, and the rule
 * that needs it is skipped (it may exist in the cluster).
 */
import { ObjectStore, type LookupResource } from '../../rules/cluster-objects.ts';
import { stringAt } from '../../rules/object-access.ts';
import type { Manifest } from './manifests.ts';

const RESOURCES: Readonly<Record<string, { resource: LookupResource; namespaced: boolean }>> = {
  'v1/PersistentVolumeClaim': { resource: 'persistentvolumeclaims', namespaced: true },
  'v1/PersistentVolume': { resource: 'persistentvolumes', namespaced: false },
  'storage.k8s.io/StorageClass': { resource: 'storageclasses', namespaced: false },
  'snapshot.storage.k8s.io/VolumeSnapshot': { resource: 'volumesnapshots', namespaced: true },
  'snapshot.storage.k8s.io/VolumeSnapshotContent': { resource: 'volumesnapshotcontents', namespaced: false },
  'snapshot.storage.k8s.io/VolumeSnapshotClass': { resource: 'volumesnapshotclasses', namespaced: false },
};

export function manifestObjects(manifests: readonly Manifest[]): ObjectStore {
  const store = new ObjectStore();
  for (const { object } of manifests) {
    const apiVersion = stringAt(object, 'apiVersion') ?? '';
    // The core group's apiVersion is "v1"; the others' "group/version".
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : apiVersion;
    const entry = RESOURCES[`${group}/${stringAt(object, 'kind') ?? ''}`];
    const name = stringAt(object, 'metadata.name');
    if (entry === undefined || name === undefined) continue;
    const namespace = entry.namespaced ? (stringAt(object, 'metadata.namespace') ?? 'default') : undefined;
    store.set({ resource: entry.resource, namespace, name }, { state: 'found', object });
  }
  return store;
}
