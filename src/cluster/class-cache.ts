import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { Backoff, sleep } from './backoff.ts';
import type { BackoffOptions } from './backoff.ts';
import { ClassIndex } from './class-index.ts';
import type { ClassView } from '../rules/class-view.ts';
import { discoverServedVersion } from './discovery.ts';
import type { Discovery, DiscoveryTarget } from './discovery.ts';
import { Reflector } from './reflector.ts';
import type { ReflectorStatus } from './reflector.ts';
import { describeError } from '../errors.ts';

export type CacheState = 'disabled' | 'absent' | 'syncing' | 'synced';

export interface CacheStatus {
  readonly state: CacheState;
  /** Classes in the index. */
  readonly size: number;
  readonly lastSyncTime: Date | null;
  readonly watchConnected: boolean;
  /** Drivers with more than one default class: the state the default-class rule exists to prevent (0 while off). */
  readonly duplicateDefaults: number;
  /** The served version being cached, once discovery found one. */
  readonly version?: string;
}

export interface ClassCacheOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly target: DiscoveryTarget;
  readonly defaultAnnotation: string;
  /** How often to look again for a resource that is not installed. */
  readonly discoveryIntervalMs: number;
  readonly backoff: BackoffOptions;
  readonly listPageSize: number;
  readonly requestTimeoutMs: number;
  readonly watchTimeoutSeconds: number;
}

export const DISABLED_STATUS: CacheStatus = {
  state: 'disabled',
  size: 0,
  lastSyncTime: null,
  watchConnected: false,
  duplicateDefaults: 0,
};

type Phase = 'discovering' | 'absent' | 'reflecting';

/**
 * One kind of class: finds which version the cluster serves, reflects that collection into an
 * index, and when the collection disappears (404) goes back to looking for it every
 * discoveryIntervalMs — CRDs are installed and removed while the webhook runs.
 */
export class ClassCache {
  readonly #options: ClassCacheOptions;
  readonly #stopper = new AbortController();
  readonly #resource: string;
  #phase: Phase = 'discovering';
  #reflector: Reflector | undefined;
  #index: ClassIndex | undefined;
  #version: string | undefined;
  #discoveryFailing = false;
  #loop: Promise<void> | undefined;

  constructor(options: ClassCacheOptions) {
    this.#options = options;
    this.#resource = `${options.target.plural}.${options.target.group}`;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopper.abort();
    this.#reflector?.stop();
    await this.#loop;
  }

  /** The live index once the first LIST is in; null before that and while the resource is absent. */
  view(): ClassView | null {
    return this.#reflector?.status().synced === true ? (this.#index ?? null) : null;
  }

  status(): CacheStatus {
    const reflector = this.#reflector?.status();
    const status: CacheStatus = {
      state: this.#state(reflector),
      ...this.#indexCounts(),
      lastSyncTime: reflector?.lastSyncTime ?? null,
      watchConnected: reflector?.watchConnected ?? false,
    };
    return this.#version === undefined ? status : { ...status, version: this.#version };
  }

  #indexCounts(): Pick<CacheStatus, 'size' | 'duplicateDefaults'> {
    const index = this.#index;
    if (index === undefined) return { size: 0, duplicateDefaults: 0 };
    return { size: index.size(), duplicateDefaults: index.driversWithMultipleDefaults().length };
  }

  #state(reflector: ReflectorStatus | undefined): CacheState {
    if (this.#phase === 'absent') {
      return 'absent';
    }
    return reflector?.synced === true ? 'synced' : 'syncing';
  }

  async #run(): Promise<void> {
    const signal = this.#stopper.signal;
    const backoff = new Backoff(this.#options.backoff);
    while (!signal.aborted) {
      const discovery = await this.#discover();
      if (discovery === undefined) {
        await sleep(backoff.next(), signal);
      } else if (discovery.kind === 'absent') {
        backoff.reset();
        this.#becomeAbsent();
        await sleep(this.#options.discoveryIntervalMs, signal);
      } else if (await this.#reflect(discovery.version)) {
        backoff.reset();
      } else {
        // Discovery says served but the collection answers 404 (a CRD being removed or
        // updated): look again after a pause rather than in a tight loop.
        await sleep(backoff.next(), signal);
      }
    }
  }

  /** The discovery result, or undefined when the API server could not say. */
  async #discover(): Promise<Discovery | undefined> {
    const { kubeConfig, target, requestTimeoutMs, logger } = this.#options;
    try {
      const discovery = await discoverServedVersion(kubeConfig, target, {
        timeoutMs: requestTimeoutMs,
        signal: this.#stopper.signal,
      });
      this.#discoveryFailing = false;
      return discovery;
    } catch (error) {
      if (!this.#stopper.signal.aborted && !this.#discoveryFailing) {
        this.#discoveryFailing = true;
        const message = describeError(error);
        logger.warn({ resource: this.#resource, error: message }, 'class cache cannot discover its resource: retrying');
      }
      return undefined;
    }
  }

  #becomeAbsent(): void {
    if (this.#phase !== 'absent') {
      this.#options.logger.warn(
        { resource: this.#resource, versions: this.#options.target.versions },
        'class cache off: the cluster does not serve this resource (CRDs not installed); looking again periodically',
      );
    }
    this.#phase = 'absent';
  }

  /**
   * Reflects one served version until it is gone (then the caller discovers again) or stopped.
   * Answers whether it ever synced.
   */
  async #reflect(version: string): Promise<boolean> {
    const { target, logger } = this.#options;
    const index = new ClassIndex(this.#options.defaultAnnotation);
    const reflector = new Reflector({
      ...this.#options,
      path: `/apis/${target.group}/${version}/${target.plural}`,
      resource: `${this.#resource}/${version}`,
      index,
    });
    logger.info({ resource: this.#resource, version }, 'class cache starting');
    this.#phase = 'reflecting';
    this.#index = index;
    this.#reflector = reflector;
    this.#version = version;
    if (this.#stopper.signal.aborted) {
      reflector.stop(); // stop() came while discovery was answering
    }
    const end = await reflector.run();
    const synced = reflector.status().synced;
    this.#reflector = undefined;
    this.#index = undefined;
    this.#version = undefined;
    if (end === 'gone') {
      logger.info({ resource: this.#resource, version }, 'class cache: the resource is gone (404); discovering again');
      this.#phase = 'discovering';
    }
    return synced;
  }
}
