import type { JsonObject } from './fake-api-store.ts';

export interface ClassFixtureOptions {
  /** The is-default-class annotation's value; no annotation when unset. */
  readonly isDefault?: string;
}

/** A VolumeSnapshotClass as a user would write it. */
export function volumeSnapshotClass(name: string, driver: string, options: ClassFixtureOptions = {}): JsonObject {
  return classObject('snapshot.storage.kubernetes.io/is-default-class', name, driver, options);
}

/** A VolumeGroupSnapshotClass as a user would write it. */
export function volumeGroupSnapshotClass(name: string, driver: string, options: ClassFixtureOptions = {}): JsonObject {
  return classObject('groupsnapshot.storage.kubernetes.io/is-default-class', name, driver, options);
}

function classObject(annotation: string, name: string, driver: string, options: ClassFixtureOptions): JsonObject {
  const annotations = options.isDefault === undefined ? {} : { [annotation]: options.isDefault };
  return { metadata: { name, annotations }, driver, deletionPolicy: 'Delete' };
}
