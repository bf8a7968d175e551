import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { DEFAULT_BACKOFF } from './backoff.ts';
import type { BackoffOptions } from './backoff.ts';
import { ClassCache, DISABLED_STATUS } from './class-cache.ts';
import type { CacheStatus, ClassCacheOptions } from './class-cache.ts';
import type { ClusterView } from '../rules/class-view.ts';
import { GROUP_SNAPSHOT_CLASSES, SNAPSHOT_CLASSES } from './discovery.ts';
import { GROUP_SNAPSHOT_DEFAULT_ANNOTATION, SNAPSHOT_DEFAULT_ANNOTATION } from '../rules/snapshot-api.ts';

export type { CacheState, CacheStatus } from './class-cache.ts';

export interface ClassCachesOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  /** How often to look again for classes whose CRDs are not installed. Default 30 s. */
  readonly discoveryIntervalMs?: number;
  /** Reconnect delays after a failure. Default 200 ms doubling to 15 s, ±20 % jitter. */
  readonly backoff?: Partial<BackoffOptions>;
  /** Objects per LIST page. Default 500. */
  readonly listPageSize?: number;
  /** Timeout of one discovery or LIST request. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** How long the API server keeps a watch open before it is renewed. Default 28 s. */
  readonly watchTimeoutSeconds?: number;
  /** Cache VolumeSnapshotClasses (default true); false reports 'disabled' and its view is null. */
  readonly snapshotClasses?: boolean;
  /** Cache VolumeGroupSnapshotClasses (default true). */
  readonly groupSnapshotClasses?: boolean;
}

export interface ClassCachesStatus {
  readonly snapshotClasses: CacheStatus;
  readonly groupSnapshotClasses: CacheStatus;
}

export interface ClassCaches {
  /** What the rules read. Each getter answers the live index, or null while that cache is off. */
  readonly view: ClusterView;
  status(): ClassCachesStatus;
  /** Every cache has synced, or is absent or disabled by design: the webhook can decide. */
  ready(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts the caches of VolumeSnapshotClasses and VolumeGroupSnapshotClasses. Returns at once;
 * ready() says when they have synced. Only for a cluster: without one, do not call this.
 */
export function startClassCaches(options: ClassCachesOptions): ClassCaches {
  const shared = sharedOptions(options);
  const snapshot =
    options.snapshotClasses === false
      ? null
      : new ClassCache({ ...shared, target: SNAPSHOT_CLASSES, defaultAnnotation: SNAPSHOT_DEFAULT_ANNOTATION });
  const group =
    options.groupSnapshotClasses === false
      ? null
      : new ClassCache({ ...shared, target: GROUP_SNAPSHOT_CLASSES, defaultAnnotation: GROUP_SNAPSHOT_DEFAULT_ANNOTATION });
  snapshot?.start();
  group?.start();
  const status = (): ClassCachesStatus => ({
    snapshotClasses: snapshot?.status() ?? DISABLED_STATUS,
    groupSnapshotClasses: group?.status() ?? DISABLED_STATUS,
  });
  return {
    view: {
      get snapshotClasses() {
        return snapshot?.view() ?? null;
      },
      get groupSnapshotClasses() {
        return group?.view() ?? null;
      },
    },
    status,
    ready: () => Object.values(status()).every((cache: CacheStatus) => cache.state !== 'syncing'),
    stop: async () => {
      await Promise.all([snapshot?.stop(), group?.stop()]);
    },
  };
}

type SharedOptions = Omit<ClassCacheOptions, 'target' | 'defaultAnnotation'>;

function sharedOptions(options: ClassCachesOptions): SharedOptions {
  return {
    kubeConfig: options.kubeConfig,
    logger: options.logger,
    discoveryIntervalMs: options.discoveryIntervalMs ?? 30_000,
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    listPageSize: options.listPageSize ?? 500,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    watchTimeoutSeconds: options.watchTimeoutSeconds ?? 28,
  };
}
