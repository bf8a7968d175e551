/**
 * A cluster for a webhook process to list and watch: the fake API server (the real wire format,
 * LIST in pages of 500) serving the snapshot CRDs of external-snapshotter v8.6.0, holding any
 * number of VolumeSnapshotClasses and the group snapshot class the captured reviews name.
 */
import { join } from 'node:path';
import { groupSnapshotClasses as groupSnapshotClassesOf, groupsFromCrds, SNAPSHOT_CLASSES } from './api-groups.ts';
import { volumeGroupSnapshotClass, volumeSnapshotClass } from './class-fixtures.ts';
import { FakeApiServer, type JsonObject } from './fake-api-server.ts';

/** The driver of the captured reviews' classes; it has a default class in this cluster. */
export const CAPTURED_DRIVER = 'hostpath.csi.k8s.io';
/** Drivers the other classes are spread over; the first class of each is its default. */
const OTHER_DRIVERS = 64;

/** `count` VolumeSnapshotClasses: the captures' default class, then classes of 64 other drivers (plain, or annotated "false"). */
export function snapshotClasses(count: number): JsonObject[] {
  const classes = [volumeSnapshotClass('csi-hostpath-snapclass', CAPTURED_DRIVER, { isDefault: 'true' })];
  for (let index = 1; index < count; index += 1) {
    const isDefault = index <= OTHER_DRIVERS ? 'true' : index % 3 === 0 ? 'false' : undefined;
    const name = `bench-class-${String(index).padStart(5, '0')}`;
    classes.push(volumeSnapshotClass(name, `bench-${index % OTHER_DRIVERS}.csi.example.com`, isDefault ? { isDefault } : {}));
  }
  return classes;
}

/** The group snapshot class the captured VolumeGroupSnapshot names, default for its driver. */
export function groupSnapshotClasses(): JsonObject[] {
  return [volumeGroupSnapshotClass('group-class', CAPTURED_DRIVER, { isDefault: 'true' })];
}

export interface ClassCluster {
  readonly kubeconfig: string;
  /** When (Date.now()) the last LIST of classes arrived: the caches are synced once it is answered. */
  lastClassListAt(): number;
  close(): Promise<void>;
}

export async function startClassCluster(directory: string, classes: number): Promise<ClassCluster> {
  const api = await FakeApiServer.start({ groups: groupsFromCrds('v8.6.0') });
  const groupClasses = groupSnapshotClassesOf('v1');
  for (const object of snapshotClasses(classes)) api.createObject(SNAPSHOT_CLASSES, object);
  for (const object of groupSnapshotClasses()) api.createObject(groupClasses, object);
  const listPaths = new Set(
    [SNAPSHOT_CLASSES, groupClasses].map((resource) => `/apis/${resource.group}/${resource.version}/${resource.plural}`),
  );
  const lists = () => api.requests.filter((request) => listPaths.has(request.path) && request.query.watch === undefined);
  return {
    kubeconfig: await api.writeKubeconfig(join(directory, `kubeconfig-${classes}`)),
    lastClassListAt: () => Math.max(0, ...lists().map((request) => request.at)),
    close: () => api.close(),
  };
}
