/**
 * A cluster for the restore and clone rules, served by the fake API server: StorageClass "fast"
 * of the hostpath driver, and in namespace "apps" the ready VolumeSnapshot "db-snap" (restoreSize
 * 10Gi) bound to its content. PVCs are served, none stored.
 */
import { CORE_GROUP, groupsFromCrds, SNAPSHOT_GROUP } from './api-groups.ts';
import { FakeApiServer } from './fake-api-server.ts';

export const RESTORE_DRIVER = 'hostpath.csi.k8s.io';
export const RESTORE_NAMESPACE = 'apps';
export const CLAIMS = { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespace: RESTORE_NAMESPACE };

export async function startRestoreCluster(): Promise<FakeApiServer> {
  const snapshotGroup = groupsFromCrds('v8.6.0').find((group) => group.name === SNAPSHOT_GROUP);
  const resource = (plural: string, kind: string, namespaced: boolean) => ({ plural, singular: kind.toLowerCase(), kind, namespaced });
  const api = await FakeApiServer.start({
    groups: [
      { ...CORE_GROUP, resources: [...CORE_GROUP.resources, resource('persistentvolumeclaims', 'PersistentVolumeClaim', true)] },
      { name: 'storage.k8s.io', versions: ['v1'], resources: [resource('storageclasses', 'StorageClass', false)] },
      ...(snapshotGroup === undefined ? [] : [snapshotGroup]),
    ],
  });
  api.createObject(
    { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses' },
    { metadata: { name: 'fast' }, provisioner: RESTORE_DRIVER },
  );
  api.createObject(
    { group: SNAPSHOT_GROUP, version: 'v1', plural: 'volumesnapshots', namespace: RESTORE_NAMESPACE },
    {
      metadata: { name: 'db-snap', namespace: RESTORE_NAMESPACE },
      spec: { source: { persistentVolumeClaimName: 'db' } },
      status: { readyToUse: true, restoreSize: '10Gi', boundVolumeSnapshotContentName: 'snapcontent-1' },
    },
  );
  api.createObject(
    { group: SNAPSHOT_GROUP, version: 'v1', plural: 'volumesnapshotcontents' },
    {
      metadata: { name: 'snapcontent-1' },
      spec: {
        driver: RESTORE_DRIVER,
        deletionPolicy: 'Delete',
        source: { volumeHandle: 'vol-1' },
        volumeSnapshotRef: { name: 'db-snap', namespace: RESTORE_NAMESPACE },
      },
    },
  );
  return api;
}
