/**
 * A cluster for the restore and clone rules, served by the fake API server: StorageClass "fast"
 * of the hostpath driver, and in namespace "apps" the ready VolumeSnapshot "db-snap" (restoreSize
 * 10Gi) bound to its content. PVCs are served, none stored.
 */
import { CORE_GROUP, groupsFromCrds, SNAPSHOT_GROUP } from './api-groups.ts';
import { FakeApiServer } from './fake-api-server.ts';
import type { GroupDefinition, JsonObject } from './fake-api-store.ts';

export const RESTORE_DRIVER = 'hostpath.csi.k8s.io';
export const RESTORE_NAMESPACE = 'apps';
export const CLAIMS = { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespace: RESTORE_NAMESPACE };

/** Where each kind a restore names is stored (namespaced ones in RESTORE_NAMESPACE). */
export const RESTORE_RESOURCES = {
  claims: CLAIMS,
  volumes: { group: '', version: 'v1', plural: 'persistentvolumes' },
  storageClasses: { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses' },
  snapshots: { group: SNAPSHOT_GROUP, version: 'v1', plural: 'volumesnapshots', namespace: RESTORE_NAMESPACE },
  contents: { group: SNAPSHOT_GROUP, version: 'v1', plural: 'volumesnapshotcontents' },
};

/** The API groups a restore's objects live in: PVCs and PVs, StorageClasses, the snapshot CRDs of v8.6.0. */
export function restoreGroups(): GroupDefinition[] {
  const snapshotGroup = groupsFromCrds('v8.6.0').find((group) => group.name === SNAPSHOT_GROUP);
  const resource = (plural: string, kind: string, namespaced: boolean) => ({ plural, singular: kind.toLowerCase(), kind, namespaced });
  return [
    {
      ...CORE_GROUP,
      resources: [
        ...CORE_GROUP.resources,
        resource('persistentvolumeclaims', 'PersistentVolumeClaim', true),
        resource('persistentvolumes', 'PersistentVolume', false),
      ],
    },
    { name: 'storage.k8s.io', versions: ['v1'], resources: [resource('storageclasses', 'StorageClass', false)] },
    ...(snapshotGroup === undefined ? [] : [snapshotGroup]),
  ];
}

export async function startRestoreCluster(): Promise<FakeApiServer> {
  const api = await FakeApiServer.start({ groups: restoreGroups() });
  api.createObject(RESTORE_RESOURCES.storageClasses, { metadata: { name: 'fast' }, provisioner: RESTORE_DRIVER });
  storeRestoreSource(api, { content: { deletionPolicy: 'Delete' } });
  return api;
}

/**
 * The ready VolumeSnapshot "db-snap" (restoreSize 10Gi, of PVC "db") and its content "snapcontent-1"
 * (volume "vol-1" of RESTORE_DRIVER), with more spec fields for each where given.
 */
export function storeRestoreSource(
  api: FakeApiServer,
  extra: { readonly snapshot?: JsonObject; readonly content?: JsonObject } = {},
): void {
  api.createObject(RESTORE_RESOURCES.snapshots, {
    metadata: { name: 'db-snap', namespace: RESTORE_NAMESPACE },
    spec: { source: { persistentVolumeClaimName: 'db' }, ...extra.snapshot },
    status: { readyToUse: true, restoreSize: '10Gi', boundVolumeSnapshotContentName: 'snapcontent-1' },
  });
  api.createObject(RESTORE_RESOURCES.contents, {
    metadata: { name: 'snapcontent-1' },
    spec: {
      driver: RESTORE_DRIVER,
      source: { volumeHandle: 'vol-1' },
      volumeSnapshotRef: { name: 'db-snap', namespace: RESTORE_NAMESPACE },
      ...extra.content,
    },
  });
}
