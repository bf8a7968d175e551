/**
 * Defaults this replica allowed and its class watch has not shown yet (docs/rules.md,
 * "Concurrency"). Without them, two default classes for one driver applied together (kubectl
 * apply -f dir/, a GitOps sync) both pass: the second review arrives before the watch delivers the
 * first class. A claim counts as a default for its driver until the watch shows the class, or
 * until it expires (the write may have failed after the review).
 */
import type { ClassView, ClusterView } from '../rules/class-view.ts';
import { annotation, stringAt } from '../rules/object-access.ts';
import { GROUP_SNAPSHOT_DEFAULT_ANNOTATION, SNAPSHOT_DEFAULT_ANNOTATION } from '../rules/snapshot-api.ts';
import type { AdmissionRequest } from './review.ts';

export const DEFAULT_CLAIM_TTL_MS = 30_000;

type CacheName = keyof ClusterView;

const CLASS_KINDS: Readonly<Record<string, { cache: CacheName; annotationKey: string }>> = {
  VolumeSnapshotClass: { cache: 'snapshotClasses', annotationKey: SNAPSHOT_DEFAULT_ANNOTATION },
  VolumeGroupSnapshotClass: { cache: 'groupSnapshotClasses', annotationKey: GROUP_SNAPSHOT_DEFAULT_ANNOTATION },
};

interface Claim {
  readonly driver: string;
  readonly expiresAt: number;
}

export class DefaultClaims {
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Per cache: class name → its claim. */
  readonly #claims: Record<CacheName, Map<string, Claim>> = { snapshotClasses: new Map(), groupSnapshotClasses: new Map() };

  constructor(ttlMs = DEFAULT_CLAIM_TTL_MS, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** Called for an allowed review: a class written as a default (not a dry run) becomes a claim. */
  recordAllowed(request: AdmissionRequest): void {
    const kind = CLASS_KINDS[request.kind.kind];
    if (kind === undefined || request.dryRun === true || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) return;
    const name = stringAt(request.object, 'metadata.name');
    if (name === undefined || annotation(request.object, kind.annotationKey) !== 'true') return;
    this.#claims[kind.cache].set(name, { driver: stringAt(request.object, 'driver') ?? '', expiresAt: this.#now() + this.#ttlMs });
  }

  /** The cluster as the rules should see it: the caches plus the claims they do not show yet. */
  overlay(cluster: ClusterView): ClusterView {
    const snapshotClasses = this.#view('snapshotClasses', cluster.snapshotClasses);
    const groupSnapshotClasses = this.#view('groupSnapshotClasses', cluster.groupSnapshotClasses);
    if (snapshotClasses === cluster.snapshotClasses && groupSnapshotClasses === cluster.groupSnapshotClasses) return cluster;
    return { snapshotClasses, groupSnapshotClasses };
  }

  #view(cache: CacheName, view: ClassView | null): ClassView | null {
    const claims = this.#claims[cache];
    if (view === null || claims.size === 0) return view;
    const now = this.#now();
    for (const [name, claim] of claims) {
      // The watch now shows the class (default or not): from here on the cache is the truth.
      if (claim.expiresAt <= now || view.get(name) !== undefined) claims.delete(name);
    }
    return claims.size === 0 ? view : withClaims(view, new Map(claims));
  }
}

function withClaims(view: ClassView, claims: ReadonlyMap<string, Claim>): ClassView {
  return {
    defaultsFor: (driver) => {
      const claimed = [...claims].filter(([, claim]) => claim.driver === driver).map(([name]) => name);
      return claimed.length === 0 ? view.defaultsFor(driver) : [...view.defaultsFor(driver), ...claimed];
    },
    get: (name) => view.get(name),
    hasAnyDefault: () => true,
    size: () => view.size(),
  };
}
