/**
 * What the restore and clone rules (20–23) read of the cluster: single objects, fetched by the edge
 * before the rules run (the rules do no I/O). A rule asks for what it needs through its family's
 * `lookups`, the edge fetches those, and asks again with what it found (a PVC restored from a
 * snapshot needs the snapshot first, then its content and class), until nothing new is asked.
 */

export type LookupResource =
  | 'persistentvolumeclaims'
  | 'persistentvolumes'
  | 'storageclasses'
  | 'volumesnapshots'
  | 'volumesnapshotcontents'
  | 'volumesnapshotclasses';

export interface ObjectRef {
  readonly resource: LookupResource;
  /** Set for the namespaced resources (PVCs and VolumeSnapshots). */
  readonly namespace?: string | undefined;
  readonly name: string;
}

/** A decoded object (types.ts's KubeObject; not imported, which would make a cycle). */
type KubeObject = Readonly<Record<string, unknown>>;

export type Lookup =
  | { readonly state: 'found'; readonly object: KubeObject }
  | { readonly state: 'absent' }
  /** The read failed or ran out of time: the rule that needed it is skipped, with a warning. */
  | { readonly state: 'unreadable'; readonly reason: string };

export interface ClusterObjects {
  /** What a lookup found; undefined when the object was not looked up (no cluster, or not asked). */
  get(ref: ObjectRef): Lookup | undefined;
}

/** No cluster to read: every rule that needs an object is skipped silently. */
export const NO_CLUSTER_OBJECTS: ClusterObjects = { get: () => undefined };

export function refKey(ref: ObjectRef): string {
  return `${ref.resource}/${ref.namespace ?? ''}/${ref.name}`;
}

export function refText(ref: ObjectRef): string {
  const kind = KIND_OF[ref.resource];
  return ref.namespace === undefined ? `${kind} "${ref.name}"` : `${kind} "${ref.namespace}/${ref.name}"`;
}

const KIND_OF: Readonly<Record<LookupResource, string>> = {
  persistentvolumeclaims: 'PersistentVolumeClaim',
  persistentvolumes: 'PersistentVolume',
  storageclasses: 'StorageClass',
  volumesnapshots: 'VolumeSnapshot',
  volumesnapshotcontents: 'VolumeSnapshotContent',
  volumesnapshotclasses: 'VolumeSnapshotClass',
};

/** Objects held in memory by key: what the edge fetched, or what `validate` read from files. */
export class ObjectStore implements ClusterObjects {
  readonly #lookups = new Map<string, Lookup>();

  get(ref: ObjectRef): Lookup | undefined {
    return this.#lookups.get(refKey(ref));
  }

  set(ref: ObjectRef, lookup: Lookup): void {
    this.#lookups.set(refKey(ref), lookup);
  }

  has(ref: ObjectRef): boolean {
    return this.#lookups.has(refKey(ref));
  }
}
