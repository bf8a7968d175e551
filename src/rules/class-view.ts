/**
 * What the rules may know about the snapshot classes in the cluster: a read-only view of the
 * class caches. The rules never see informers, only this.
 */
export interface ClassSummary {
  readonly name: string;
  readonly driver: string;
  /** The is-default-class annotation is exactly "true". */
  readonly isDefault: boolean;
}

export interface ClassView {
  /** Names of the classes that are the default for this driver (normally zero or one). O(1). */
  defaultsFor(driver: string): readonly string[];
  /** The class of that name, if the cache holds it. O(1). */
  get(name: string): ClassSummary | undefined;
  /** Whether any driver has a default class. O(1). */
  hasAnyDefault(): boolean;
  /** How many classes the cache holds. */
  size(): number;
}

/**
 * The cluster as the rules see it. A view that is null is off: there is no cluster connection,
 * or the resource is not installed. Rules that need it are skipped (and the server says so).
 */
export interface ClusterView {
  readonly snapshotClasses: ClassView | null;
  readonly groupSnapshotClasses: ClassView | null;
}
