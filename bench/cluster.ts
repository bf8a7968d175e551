/**
 * The cluster the webhook's class caches list and watch: the tests' fake API server (the real
 * list/watch wire format, LIST in pages of 500) with the snapshot CRDs of external-snapshotter
 * v8.6.0 and the bench's classes stored before the webhook starts.
 */
import { join } from 'node:path';
import { groupSnapshotClasses as groupSnapshotClassesRef, groupsFromCrds, SNAPSHOT_CLASSES } from '../testkit/api-groups.ts';
import { FakeApiServer } from '../testkit/fake-api-server.ts';
import { groupSnapshotClasses, snapshotClasses } from './scenarios.ts';

export interface BenchCluster {
  readonly api: FakeApiServer;
  readonly kubeconfig: string;
  readonly classes: number;
  /** When (Date.now()) the last LIST of classes arrived: the caches are synced once it is answered. */
  lastClassListAt(): number;
  close(): Promise<void>;
}

const GROUP_SNAPSHOT_VERSION = 'v1';

export async function startCluster(directory: string, classes: number): Promise<BenchCluster> {
  const api = await FakeApiServer.start({ groups: groupsFromCrds('v8.6.0') });
  for (const object of snapshotClasses(classes)) api.createObject(SNAPSHOT_CLASSES, object);
  for (const object of groupSnapshotClasses()) api.createObject(groupSnapshotClassesRef(GROUP_SNAPSHOT_VERSION), object);
  const kubeconfig = await api.writeKubeconfig(join(directory, `kubeconfig-${classes}`));
  const listPaths = new Set([
    `/apis/${SNAPSHOT_CLASSES.group}/${SNAPSHOT_CLASSES.version}/${SNAPSHOT_CLASSES.plural}`,
    `/apis/groupsnapshot.storage.k8s.io/${GROUP_SNAPSHOT_VERSION}/volumegroupsnapshotclasses`,
  ]);
  return {
    api,
    kubeconfig,
    classes,
    lastClassListAt: () =>
      Math.max(
        0,
        ...api.requests.filter((request) => listPaths.has(request.path) && request.query.watch === undefined).map((request) => request.at),
      ),
    close: () => api.close(),
  };
}
