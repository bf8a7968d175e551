import type { ServerResponse } from 'node:http';
import { ApiError } from './fake-api-store.ts';
import type { ApiStore, JsonObject, ResourceDefinition, ResourceRef, StoreEvent } from './fake-api-store.ts';
import { apiVersionOf, render, sendError, statusOf } from './fake-api-wire.ts';

interface OpenWatch {
  readonly ref: ResourceRef;
  readonly resource: ResourceDefinition;
  readonly response: ServerResponse;
  readonly bookmarks: boolean;
}

/** How a watch from a compacted resourceVersion is refused. */
export type ExpiredAnswer = 'event' | 'status';

/**
 * The open watches of the fake API server: newline-delimited JSON events over a chunked response,
 * as kube-apiserver streams them (see captures/wire/watch-*.jsonl).
 */
export class WatchHub {
  readonly #store: ApiStore;
  readonly #watches = new Set<OpenWatch>();
  /** 'event': 200 and one ERROR event carrying a 410 Status (what a real server does); 'status': HTTP 410. */
  expiredAnswer: ExpiredAnswer = 'event';
  /** Refuse every watch as expired, whatever its resourceVersion (a misbehaving server). */
  expireEveryWatch = false;
  /** Accept watch requests but never answer them (a server that hangs). */
  holdWatches = false;

  constructor(store: ApiStore) {
    this.#store = store;
    store.subscribe((event) => this.#broadcast(event));
  }

  get size(): number {
    return this.#watches.size;
  }

  /** Serves `?watch=true`: replays history after resourceVersion (or the current objects), then streams. */
  open(response: ServerResponse, ref: ResourceRef, resource: ResourceDefinition, query: URLSearchParams): void {
    if (this.holdWatches) {
      return; // the connection stays open, unanswered, until the client or the server closes it
    }
    let initial: { type: string; object: JsonObject }[];
    try {
      initial = this.#initialEvents(ref, query.get('resourceVersion'));
    } catch (error) {
      this.#refuse(response, error);
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    response.flushHeaders();
    const watch: OpenWatch = { ref, resource, response, bookmarks: query.get('allowWatchBookmarks') === 'true' };
    this.#watches.add(watch);
    for (const event of initial) {
      write(watch, event.type, render(event.object, ref, resource));
    }
    const timer = this.#closeAfter(watch, Number(query.get('timeoutSeconds') ?? 0));
    response.on('close', () => {
      clearTimeout(timer);
      this.#watches.delete(watch);
    });
  }

  /** Destroys every watch connection, as a network failure or an API server restart would. */
  dropAll(): void {
    for (const watch of this.#watches) {
      watch.response.socket?.destroy();
    }
  }

  /** Compacts history and ends every open watch with an ERROR 410 event. */
  expireAll(): void {
    this.#store.compact();
    const error = new ApiError(410, 'Expired', `too old resource version: 0 (${this.#store.compactedBefore})`);
    for (const watch of this.#watches) {
      write(watch, 'ERROR', statusOf(error));
      watch.response.end();
    }
  }

  /** Sends a BOOKMARK at the current resourceVersion to the watches that asked for bookmarks. */
  bookmark(): void {
    for (const watch of this.#watches) {
      this.#bookmark(watch);
    }
  }

  /** Ends watches cleanly (all, or those of one group), as a watch timeout or removing CRDs does. */
  end(group?: string): void {
    for (const watch of [...this.#watches].filter((w) => group === undefined || w.ref.group === group)) {
      watch.response.end();
    }
  }

  #initialEvents(ref: ResourceRef, resourceVersion: string | null): { type: string; object: JsonObject }[] {
    if (this.expireEveryWatch) {
      throw new ApiError(410, 'Expired', `too old resource version: ${resourceVersion ?? ''} (${this.#store.resourceVersion})`);
    }
    if (resourceVersion === null || resourceVersion === '' || resourceVersion === '0') {
      return this.#store.list(ref).map((object) => ({ type: 'ADDED', object }));
    }
    return this.#store.eventsSince(ref, Number(resourceVersion));
  }

  #refuse(response: ServerResponse, error: unknown): void {
    if (error instanceof ApiError && error.code === 410 && this.expiredAnswer === 'event') {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(`${JSON.stringify({ type: 'ERROR', object: statusOf(error) })}\n`);
      return;
    }
    sendError(response, error);
  }

  #closeAfter(watch: OpenWatch, seconds: number): NodeJS.Timeout | undefined {
    if (!(seconds > 0)) {
      return undefined;
    }
    const timer = setTimeout(() => {
      this.#bookmark(watch); // kube-apiserver sends one just before a watch's timeout
      watch.response.end();
    }, seconds * 1000);
    timer.unref();
    return timer;
  }

  #bookmark(watch: OpenWatch): void {
    if (!watch.bookmarks) {
      return;
    }
    write(watch, 'BOOKMARK', {
      apiVersion: apiVersionOf(watch.ref.group, watch.ref.version),
      kind: watch.resource.kind,
      metadata: { resourceVersion: String(this.#store.resourceVersion) },
    });
  }

  #broadcast(event: StoreEvent): void {
    for (const watch of this.#watches) {
      const { ref } = watch;
      const sameNamespace = ref.namespace === undefined || ref.namespace === event.namespace;
      if (ref.group === event.group && ref.plural === event.plural && sameNamespace) {
        write(watch, event.type, render(event.object, ref, watch.resource));
      }
    }
  }
}

function write(watch: OpenWatch, type: string, object: JsonObject): void {
  if (!watch.response.writableEnded && !watch.response.destroyed) {
    watch.response.write(`${JSON.stringify({ type, object })}\n`);
  }
}
