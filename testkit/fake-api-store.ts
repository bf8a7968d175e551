import { randomUUID } from 'node:crypto';

/** A JSON object as the API server stores it. */
export type JsonObject = Record<string, unknown>;

export interface ResourceDefinition {
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  /** The versions that serve this resource; all the group's versions when unset. */
  readonly versions?: readonly string[];
  /** Subresources discovery lists (e.g. status); the fake does not serve them. */
  readonly subresources?: readonly string[];
}

export interface GroupDefinition {
  /** '' for the core group (served under /api/v1). */
  readonly name: string;
  /** Served versions, preferred first. */
  readonly versions: readonly string[];
  readonly resources: readonly ResourceDefinition[];
}

/** Where an object lives: the version only says how it is rendered, as in the real server. */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespace?: string | undefined;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: EventType;
  readonly group: string;
  readonly plural: string;
  readonly namespace: string | undefined;
  readonly resourceVersion: number;
  readonly object: JsonObject;
}

/** An answer other than success, in Kubernetes' Status terms. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;

  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

/**
 * The state of the fake API server: installed groups, objects (stored once, whatever version
 * they were written at, as the real server does), one resourceVersion counter for everything,
 * and the event history watches replay from.
 */
export class ApiStore {
  readonly #groups = new Map<string, GroupDefinition>();
  /** `group/plural` → `namespace/name` → object. */
  readonly #objects = new Map<string, Map<string, JsonObject>>();
  readonly #listeners = new Set<(event: StoreEvent) => void>();
  #history: StoreEvent[] = [];
  #resourceVersion = 100;
  /** Watches from before this resourceVersion are answered 410, as after an etcd compaction. */
  #compactedBefore = 0;

  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  get compactedBefore(): number {
    return this.#compactedBefore;
  }

  installGroup(definition: GroupDefinition): void {
    this.#groups.set(definition.name, definition);
  }

  /** Removes the group and its objects, as deleting its CRDs does. */
  uninstallGroup(name: string): void {
    this.#groups.delete(name);
    for (const key of [...this.#objects.keys()].filter((k) => k.startsWith(`${name}/`))) {
      this.#objects.delete(key);
    }
    this.#history = this.#history.filter((event) => event.group !== name);
  }

  group(name: string): GroupDefinition | undefined {
    return this.#groups.get(name);
  }

  groups(): GroupDefinition[] {
    return [...this.#groups.values()];
  }

  /** The resource if the group serves it at that version. */
  resource(group: string, version: string, plural: string): ResourceDefinition | undefined {
    const definition = this.#groups.get(group);
    if (definition === undefined || !definition.versions.includes(version)) {
      return undefined;
    }
    return resourcesAt(definition, version).find((resource) => resource.plural === plural);
  }

  list(ref: ResourceRef): JsonObject[] {
    const objects = [...(this.#objects.get(collectionKey(ref))?.values() ?? [])];
    const inNamespace = objects.filter((o) => ref.namespace === undefined || metadataOf(o).namespace === ref.namespace);
    return inNamespace.sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
  }

  get(ref: ResourceRef, name: string): JsonObject | undefined {
    return this.#objects.get(collectionKey(ref))?.get(`${ref.namespace ?? ''}/${name}`);
  }

  create(ref: ResourceRef, object: JsonObject): JsonObject {
    const input = metadataOf(object);
    const name = typeof input.name === 'string' && input.name !== '' ? input.name : generatedName(input);
    if (this.get(ref, name) !== undefined) {
      throw new ApiError(409, 'AlreadyExists', `${ref.plural}.${ref.group} "${name}" already exists`);
    }
    const metadata: JsonObject = { ...input, name, uid: randomUUID(), generation: 1, creationTimestamp: now() };
    delete metadata.generateName;
    if (ref.namespace !== undefined) {
      metadata.namespace = ref.namespace;
    }
    return this.#write('ADDED', ref, { ...object, metadata });
  }

  /** Replaces an object; a resourceVersion in the new object must match the stored one. */
  update(ref: ResourceRef, object: JsonObject): JsonObject {
    const name = nameOf(object);
    const current = this.#existing(ref, name);
    const expected = metadataOf(object).resourceVersion;
    if (expected !== undefined && expected !== metadataOf(current).resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${ref.plural}.${ref.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const kept = metadataOf(current);
    const generation = Number(kept.generation ?? 1) + (specChanged(current, object) ? 1 : 0);
    const metadata: JsonObject = { ...metadataOf(object), uid: kept.uid, creationTimestamp: kept.creationTimestamp, generation };
    if (kept.namespace !== undefined) {
      metadata.namespace = kept.namespace;
    }
    return this.#write('MODIFIED', ref, { ...object, metadata });
  }

  remove(ref: ResourceRef, name: string): JsonObject {
    const current = this.#existing(ref, name);
    return this.#write('DELETED', ref, current);
  }

  /** Events of one collection after a resourceVersion; 410 if that history was compacted. */
  eventsSince(ref: ResourceRef, resourceVersion: number): StoreEvent[] {
    if (resourceVersion < this.#compactedBefore) {
      throw new ApiError(410, 'Expired', `too old resource version: ${resourceVersion} (${this.#compactedBefore})`);
    }
    return this.#history.filter((event) => matches(event, ref) && event.resourceVersion > resourceVersion);
  }

  /**
   * Forgets the history: watches (and continue tokens) from any resourceVersion seen so far get
   * 410. The resourceVersion moves on, as the cluster's writes elsewhere that led to the
   * compaction would have moved it, so that a new LIST gives a version one can watch from.
   */
  compact(): void {
    this.#resourceVersion += 1;
    this.#compactedBefore = this.#resourceVersion;
    this.#history = [];
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #existing(ref: ResourceRef, name: string): JsonObject {
    const current = this.get(ref, name);
    if (current === undefined) {
      throw new ApiError(404, 'NotFound', `${ref.plural}.${ref.group} "${name}" not found`);
    }
    return current;
  }

  #write(type: EventType, ref: ResourceRef, object: JsonObject): JsonObject {
    this.#resourceVersion += 1;
    const stored = { ...object, metadata: { ...metadataOf(object), resourceVersion: String(this.#resourceVersion) } };
    const key = collectionKey(ref);
    const collection = this.#objects.get(key) ?? new Map<string, JsonObject>();
    this.#objects.set(key, collection);
    if (type === 'DELETED') {
      collection.delete(objectKey(stored));
    } else {
      collection.set(objectKey(stored), stored);
    }
    const event: StoreEvent = {
      type,
      group: ref.group,
      plural: ref.plural,
      namespace: ref.namespace,
      resourceVersion: this.#resourceVersion,
      object: stored,
    };
    this.#history.push(event);
    for (const listener of this.#listeners) {
      listener(event);
    }
    return stored;
  }
}

export function resourcesAt(definition: GroupDefinition, version: string): ResourceDefinition[] {
  return definition.resources.filter((resource) => resource.versions?.includes(version) ?? true);
}

export function metadataOf(object: JsonObject): JsonObject {
  const metadata = object.metadata;
  return typeof metadata === 'object' && metadata !== null ? (metadata as JsonObject) : {};
}

function matches(event: StoreEvent, ref: ResourceRef): boolean {
  const sameNamespace = ref.namespace === undefined || event.namespace === ref.namespace;
  return event.group === ref.group && event.plural === ref.plural && sameNamespace;
}

function collectionKey(ref: ResourceRef): string {
  return `${ref.group}/${ref.plural}`;
}

/** `namespace/name`: the order a LIST returns objects in, and where a continue token resumes. */
export function objectKey(object: JsonObject): string {
  const namespace = metadataOf(object).namespace;
  return `${typeof namespace === 'string' ? namespace : ''}/${nameOf(object)}`;
}

export function nameOf(object: JsonObject): string {
  const name = metadataOf(object).name;
  return typeof name === 'string' ? name : '';
}

function generatedName(metadata: JsonObject): string {
  if (typeof metadata.generateName !== 'string' || metadata.generateName === '') {
    throw new ApiError(422, 'Invalid', 'metadata.name: Required value: name or generateName is required');
  }
  return `${metadata.generateName}${randomUUID().slice(0, 5)}`;
}

function specChanged(before: JsonObject, after: JsonObject): boolean {
  const withoutMetadata = ({ metadata: _m, status: _s, ...rest }: JsonObject): JsonObject => rest;
  return JSON.stringify(withoutMetadata(before)) !== JSON.stringify(withoutMetadata(after));
}

/** RFC 3339 to the second, as Kubernetes writes timestamps. */
function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
