import { Watch } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.ts';
import { listInPages } from './paged-list.ts';
import { Backoff, sleep } from './backoff.ts';
import type { BackoffOptions } from './backoff.ts';
import { asClassObject } from './class-index.ts';
import type { ClassIndex, ClassObject } from './class-index.ts';
import { describeError, WebhookError } from '../errors.ts';

export interface ReflectorOptions {
  readonly kubeConfig: KubeConfig;
  /** The collection, e.g. /apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses. */
  readonly path: string;
  /** How logs name the collection, e.g. volumesnapshotclasses.snapshot.storage.k8s.io/v1. */
  readonly resource: string;
  readonly index: ClassIndex;
  readonly logger: Logger;
  readonly backoff: BackoffOptions;
  readonly listPageSize: number;
  readonly requestTimeoutMs: number;
  /**
   * How long the API server keeps one watch open. Below client-node's fixed 30 s inactivity
   * timeout, so that a quiet watch ends cleanly on the server's side (after a bookmark) rather
   * than by the client giving up on it.
   */
  readonly watchTimeoutSeconds: number;
}

export interface ReflectorStatus {
  /** A LIST has completed: the index reflects the cluster (possibly stale, see watchConnected). */
  readonly synced: boolean;
  /** When the API server last told us the index was current: a LIST, or a watch event or bookmark. */
  readonly lastSyncTime: Date | null;
  readonly watchConnected: boolean;
  readonly resourceVersion: string;
}

/** Why run() returned: the resource is not served any more (404), or stop() was called. */
export type ReflectorEnd = 'gone' | 'stopped';

/** The collection answered 404: its CRD was removed, or this version is no longer served. */
class ResourceGoneError extends WebhookError {
  constructor(verb: 'LIST' | 'WATCH', path: string) {
    super('API_RESOURCE_GONE', verb, path);
    this.name = 'ResourceGoneError';
  }
}

interface WatchSession {
  readonly startedAt: number;
  connected: boolean;
  ended: boolean;
  /** Events other than ERROR: proof the watch was working. */
  events: number;
  /** An ERROR event other than 410: the watch failed even if the stream then closes cleanly. */
  failure: Error | undefined;
}

/** A watch that lasted this long was healthy even if it saw no event: its end is no outage. */
const HEALTHY_WATCH_MS = 5_000;

/**
 * Keeps a ClassIndex in step with one collection of the API server: LIST (in pages), then WATCH
 * from the list's resourceVersion with bookmarks, resuming from the last resourceVersion seen
 * when the watch ends, and listing again when the server says that version has expired (410).
 * Reconnects with exponential backoff from ~200 ms; while the watch is down the index keeps the
 * last known state. Holds no objects, only the index.
 */
export class Reflector {
  readonly #options: ReflectorOptions;
  readonly #watcher: Watch;
  readonly #backoff: Backoff;
  readonly #stopper = new AbortController();
  #watchRequest: AbortController | undefined;
  #resourceVersion = '';
  #synced = false;
  #lastSyncTime: Date | null = null;
  #watchConnected = false;
  #outageSince: number | undefined;
  /** 410s since the last healthy watch: only the first relists at once, later ones back off. */
  #expiriesInARow = 0;

  constructor(options: ReflectorOptions) {
    this.#options = options;
    this.#watcher = new Watch(options.kubeConfig);
    this.#backoff = new Backoff(options.backoff);
  }

  status(): ReflectorStatus {
    return {
      synced: this.#synced,
      lastSyncTime: this.#lastSyncTime,
      watchConnected: this.#watchConnected,
      resourceVersion: this.#resourceVersion,
    };
  }

  /** Lists and watches until stopped or until the collection is gone. Never throws. */
  async run(): Promise<ReflectorEnd> {
    const signal = this.#stopper.signal;
    while (!signal.aborted) {
      try {
        await this.#listAndWatch();
      } catch (error) {
        if (error instanceof ResourceGoneError) {
          return 'gone';
        }
        this.#failed(error);
      }
      await sleep(this.#backoff.next(), signal);
    }
    return 'stopped';
  }

  stop(): void {
    this.#stopper.abort();
    this.#watchRequest?.abort();
  }

  async #listAndWatch(): Promise<void> {
    if (this.#resourceVersion === '') {
      await this.#list();
    }
    await this.#watch();
  }

  async #list(): Promise<void> {
    const { index, kubeConfig, path, listPageSize, requestTimeoutMs } = this.#options;
    const classes: ClassObject[] = [];
    const options = { pageSize: listPageSize, timeoutMs: requestTimeoutMs, signal: this.#stopper.signal };
    const listed = await listInPages(kubeConfig, path, options, (items) => {
      for (const item of items) {
        const projected = index.project(asClassObject(item) ?? {});
        if (projected !== undefined) classes.push(projected);
      }
    });
    if (listed.end === 'gone') throw new ResourceGoneError('LIST', path);
    index.replaceAll(classes);
    this.#resourceVersion = listed.resourceVersion;
    this.#synced = true;
    this.#lastSyncTime = new Date();
  }

  /** One watch, from the current resourceVersion until the stream ends; throws if it failed. */
  async #watch(): Promise<void> {
    const session: WatchSession = { startedAt: Date.now(), connected: false, ended: false, events: 0, failure: undefined };
    const { path, watchTimeoutSeconds } = this.#options;
    const query = {
      allowWatchBookmarks: true,
      resourceVersion: this.#resourceVersion,
      // Spread so that replicas (and the two caches) do not all re-watch at the same moment.
      timeoutSeconds: Math.max(1, Math.round(watchTimeoutSeconds * (0.8 + 0.2 * Math.random()))),
    };
    const signal = this.#stopper.signal;
    let stopped = (): void => undefined;
    const ended = new Promise<unknown>((resolve) => {
      const end = (error: unknown): void => {
        session.ended = true;
        resolve(error ?? null);
      };
      // stop() must not wait for a connection attempt to time out (up to 30 s in client-node).
      stopped = () => end(null);
      signal.addEventListener('abort', stopped, { once: true });
      this.#watcher
        .watch(path, query, (type: string, object: unknown) => this.#onEvent(session, type, object), end)
        .then((request) => this.#onConnected(session, request))
        .catch(end);
    });
    const error = await ended;
    signal.removeEventListener('abort', stopped);
    this.#watchConnected = false;
    this.#watchRequest = undefined;
    this.#afterWatch(session, error);
  }

  #onConnected(session: WatchSession, request: AbortController): void {
    if (session.ended) {
      // Refused (client-node calls done, then resolves), or stopped before it connected.
      request.abort();
      return;
    }
    session.connected = true;
    this.#watchRequest = request;
    this.#watchConnected = true;
    this.#recovered();
  }

  #afterWatch(session: WatchSession, error: unknown): void {
    const healthy = session.events > 0 || Date.now() - session.startedAt >= HEALTHY_WATCH_MS;
    if (session.connected && healthy) {
      this.#backoff.reset();
      this.#expiriesInARow = 0;
    }
    if (this.#stopper.signal.aborted) {
      return;
    }
    if (error === null) {
      if (session.failure !== undefined) {
        throw session.failure;
      }
      return; // the server closed the watch (its timeout): resume from the last resourceVersion
    }
    this.#classifyWatchError(session, error);
  }

  #classifyWatchError(session: WatchSession, error: unknown): void {
    const status = statusCodeOf(error);
    if (status === 404) {
      throw new ResourceGoneError('WATCH', this.#options.path);
    }
    if (status === 410) {
      this.#expired();
      return;
    }
    // client-node's inactivity timer on a watch that was open: quiet, not broken.
    if (session.connected && error instanceof Error && error.name === 'TimeoutError') {
      return;
    }
    throw error;
  }

  #onEvent(session: WatchSession, type: string, object: unknown): void {
    if (type === 'ERROR') {
      this.#onErrorEvent(session, object);
      return;
    }
    session.events += 1;
    this.#apply(type, asClassObject(object));
    const resourceVersion = asClassObject(object)?.metadata?.resourceVersion;
    if (typeof resourceVersion === 'string' && resourceVersion !== '') {
      this.#resourceVersion = resourceVersion;
    }
    this.#lastSyncTime = new Date();
  }

  #apply(type: string, object: ClassObject | undefined): void {
    if (object === undefined) {
      return;
    }
    if (type === 'ADDED' || type === 'MODIFIED') {
      this.#options.index.upsert(object);
    } else if (type === 'DELETED' && typeof object.metadata?.name === 'string') {
      this.#options.index.remove(object.metadata.name);
    }
    // BOOKMARK carries only a resourceVersion.
  }

  #onErrorEvent(session: WatchSession, status: unknown): void {
    const code = numberField(status, 'code');
    if (code === 410) {
      this.#expired();
      return;
    }
    const message = stringField(status, 'message') ?? 'no message';
    session.failure = new WebhookError('API_WATCH_ERROR', this.#options.path, String(code ?? '?'), message);
  }

  /** The resourceVersion is older than the server keeps history for: only a new LIST can catch up. */
  #expired(): void {
    this.#options.logger.info({ resource: this.#options.resource }, 'class cache watch expired (410): listing again');
    this.#resourceVersion = '';
    // Relisting is the protocol, not a retry of something broken: do it at once. But a server
    // that keeps answering 410 to the version its own LIST gave gets the usual backoff.
    if (this.#expiriesInARow === 0) {
      this.#backoff.reset();
    }
    this.#expiriesInARow += 1;
  }

  #failed(error: unknown): void {
    if (this.#stopper.signal.aborted) {
      return;
    }
    const fields = { resource: this.#options.resource, error: describeError(error) };
    if (this.#outageSince !== undefined) {
      this.#options.logger.debug(fields, 'class cache still disconnected');
      return;
    }
    this.#outageSince = Date.now();
    const message = this.#synced
      ? 'class cache stale: using last known state'
      : 'class cache cannot sync: the rules that need it are off until it does';
    this.#options.logger.warn(fields, message);
  }

  #recovered(): void {
    if (this.#outageSince === undefined) {
      return;
    }
    const outageMs = Date.now() - this.#outageSince;
    this.#outageSince = undefined;
    this.#options.logger.info({ resource: this.#options.resource, outageMs }, 'class cache recovered: watching again');
  }
}

function statusCodeOf(error: unknown): number | undefined {
  return numberField(error, 'statusCode') ?? numberField(error, 'code');
}

function objectField(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringField(value: unknown, key: string): string | undefined {
  const field = objectField(value, key);
  return typeof field === 'string' ? field : undefined;
}

function numberField(value: unknown, key: string): number | undefined {
  const field = objectField(value, key);
  return typeof field === 'number' ? field : undefined;
}
