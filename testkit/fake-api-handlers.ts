import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, metadataOf, nameOf, objectKey, resourcesAt } from './fake-api-store.ts';
import type { ApiStore, GroupDefinition, JsonObject, ResourceDefinition, ResourceRef } from './fake-api-store.ts';
import type { WatchHub } from './fake-api-watch.ts';
import { apiVersionOf, render, sendError, sendJson, sendPageNotFound } from './fake-api-wire.ts';
import type { Admit } from './fake-admission.ts';
import { jsonPatch, mergePatch } from './json-patch.ts';

export interface HandlerContext {
  readonly store: ApiStore;
  readonly watches: WatchHub;
  /** A validating webhook for creates, called as kube-apiserver calls one. */
  readonly admit?: Admit | undefined;
}

interface ResourceRoute {
  readonly ref: ResourceRef;
  readonly resource: ResourceDefinition;
  readonly name: string | undefined;
}

const VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

/** Routes one request the way kube-apiserver lays out its paths: discovery, collections, objects. */
export async function handleApiRequest(request: IncomingMessage, response: ServerResponse, context: HandlerContext): Promise<void> {
  const url = new URL(request.url ?? '/', 'https://fake-api-server');
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  if (request.method === 'GET' && (serveVersion(segments, response) || serveDiscovery(segments, response, context.store))) {
    return;
  }
  const route = resourceRoute(segments, context.store);
  if (route === undefined) {
    sendPageNotFound(response);
    return;
  }
  try {
    await serveResource({ request, response, route, query: url.searchParams, context });
  } catch (error) {
    sendError(response, error);
  }
}

/**
 * What GET /version answers (version.Info): clients such as helm and kubectl ask it first, to
 * see that the cluster is there and which Kubernetes it runs.
 */
export const VERSION_INFO: Readonly<Record<string, string>> = {
  major: '1',
  minor: '35',
  emulationMajor: '1',
  emulationMinor: '35',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '34',
  gitVersion: 'v1.35.0',
  gitCommit: '',
  gitTreeState: 'clean',
  buildDate: '1970-01-01T00:00:00Z',
  goVersion: 'go1.25.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function serveVersion(segments: readonly string[], response: ServerResponse): boolean {
  if (segments.length !== 1 || segments[0] !== 'version') {
    return false;
  }
  sendJson(response, 200, VERSION_INFO);
  return true;
}

function serveDiscovery(segments: readonly string[], response: ServerResponse, store: ApiStore): boolean {
  const [root, first, second] = segments;
  if (root === 'api' && segments.length <= 2) {
    return serveCoreDiscovery(first, response, store);
  }
  if (root !== 'apis' || segments.length > 3) {
    return false;
  }
  if (first === undefined) {
    const groups = store.groups().filter((group) => group.name !== '');
    sendJson(response, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(apiGroup) });
    return true;
  }
  const group = store.group(first);
  if (group === undefined || first === '') {
    sendPageNotFound(response);
  } else if (second === undefined) {
    sendJson(response, 200, { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) });
  } else {
    sendResourceList(response, group, second);
  }
  return true;
}

function serveCoreDiscovery(version: string | undefined, response: ServerResponse, store: ApiStore): boolean {
  const core = store.group('');
  if (core === undefined) {
    sendPageNotFound(response);
  } else if (version === undefined) {
    sendJson(response, 200, { kind: 'APIVersions', versions: core.versions, serverAddressByClientCIDRs: [] });
  } else {
    sendResourceList(response, core, version);
  }
  return true;
}

function apiGroup(group: GroupDefinition): JsonObject {
  const versions = group.versions.map((version) => ({ groupVersion: apiVersionOf(group.name, version), version }));
  return { name: group.name, versions, preferredVersion: versions[0] };
}

function sendResourceList(response: ServerResponse, group: GroupDefinition, version: string): void {
  if (!group.versions.includes(version)) {
    sendPageNotFound(response);
    return;
  }
  const resources = resourcesAt(group, version).flatMap((resource) => [
    discoveryEntry(group.name, version, resource),
    ...(resource.subresources ?? []).map((sub) => ({
      name: `${resource.plural}/${sub}`,
      singularName: '',
      namespaced: resource.namespaced,
      kind: resource.kind,
      verbs: ['get', 'patch', 'update'],
    })),
  ]);
  sendJson(response, 200, {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(group.name, version),
    resources,
  });
}

function discoveryEntry(group: string, version: string, resource: ResourceDefinition): JsonObject {
  const hash = createHash('sha256').update(`${group}/${version}/${resource.plural}`).digest('base64').slice(0, 11);
  return {
    name: resource.plural,
    singularName: resource.singular,
    namespaced: resource.namespaced,
    kind: resource.kind,
    verbs: VERBS,
    ...(resource.shortNames !== undefined && resource.shortNames.length > 0 ? { shortNames: resource.shortNames } : {}),
    storageVersionHash: `${hash}=`,
  };
}

interface PathParts {
  readonly group: string;
  readonly version: string;
  readonly rest: readonly string[];
}

/** /api/v1/<rest> is the core group; /apis/<group>/<version>/<rest> any other. */
function splitPath(segments: readonly string[]): PathParts | undefined {
  const [root, first, second, ...rest] = segments;
  if (root === 'api' && first !== undefined) {
    return { group: '', version: first, rest: segments.slice(2) };
  }
  if (root === 'apis' && first !== undefined && second !== undefined) {
    return { group: first, version: second, rest };
  }
  return undefined;
}

/** The resource of a path, if that version serves it: [namespaces/<ns>/]<plural>[/<name>]. */
function resourceRoute(segments: readonly string[], store: ApiStore): ResourceRoute | undefined {
  const parts = splitPath(segments);
  if (parts === undefined) {
    return undefined;
  }
  const { group, version, rest } = parts;
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const [plural, name, extra] = namespaced ? rest.slice(2) : rest;
  const resource = store.resource(group, version, plural ?? '');
  if (resource === undefined || extra !== undefined || (namespaced && !resource.namespaced)) {
    return undefined;
  }
  return { ref: { group, version, plural: resource.plural, namespace: namespaced ? rest[1] : undefined }, resource, name };
}

interface Exchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly route: ResourceRoute;
  readonly query: URLSearchParams;
  readonly context: HandlerContext;
}

type Handler = (exchange: Exchange, name: string) => Promise<JsonObject | undefined> | JsonObject | undefined;

/** Each handler answers the object to send (200, or 201 for POST), or undefined when it answered itself. */
const HANDLERS: Readonly<Record<string, Handler>> = {
  'GET collection': (exchange) => listOrWatch(exchange),
  'GET object': ({ context, route }, name) => existing(context.store, route.ref, name),
  'POST collection': (exchange) => create(exchange),
  'PUT object': async ({ context, route, request }, name) => context.store.update(route.ref, named(await readJson(request), name)),
  'PATCH object': ({ context, route, request }, name) => patch(request, context.store, route.ref, name),
  'DELETE object': ({ context, route }, name) => context.store.remove(route.ref, name),
};

async function serveResource(exchange: Exchange): Promise<void> {
  const { request, response, route } = exchange;
  const handler = HANDLERS[`${request.method ?? ''} ${route.name === undefined ? 'collection' : 'object'}`];
  if (handler === undefined) {
    throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }
  const object = await handler(exchange, route.name ?? '');
  if (object !== undefined) {
    sendJson(response, request.method === 'POST' ? 201 : 200, render(object, route.ref, route.resource));
  }
}

/** A create: admission first (its warnings as Warning headers), then stored unless it is a dry run. */
async function create({ context, route, request, response, query }: Exchange): Promise<JsonObject> {
  const object = await readJson(request);
  const dryRun = query.get('dryRun') === 'All';
  const warnings = context.admit === undefined ? [] : await context.admit({ ref: route.ref, resource: route.resource, object, dryRun });
  if (warnings.length > 0)
    response.setHeader(
      'Warning',
      warnings.map((text) => `299 - ${JSON.stringify(text)}`),
    );
  return dryRun ? object : context.store.create(route.ref, object);
}

function listOrWatch({ context, route, query, response }: Exchange): undefined {
  if (query.get('watch') === 'true' || query.get('watch') === '1') {
    context.watches.open(response, route.ref, route.resource, query);
  } else {
    sendJson(response, 200, listBody(context.store, route, query));
  }
}

interface ContinueToken {
  readonly resourceVersion: number;
  readonly after: string;
}

interface Page {
  readonly items: readonly JsonObject[];
  readonly remaining: number;
  readonly resourceVersion: number;
}

/** A LIST, paged by limit/continue (pages after the first are read from the current state). */
function listBody(store: ApiStore, route: ResourceRoute, query: URLSearchParams): JsonObject {
  const page = pageOf(store, route, query);
  const last = page.items.at(-1);
  const more = page.remaining > 0 && last !== undefined;
  return {
    apiVersion: apiVersionOf(route.ref.group, route.ref.version),
    items: page.items.map((object) => render(object, route.ref, route.resource)),
    kind: `${route.resource.kind}List`,
    metadata: {
      continue: more ? encodeContinue({ resourceVersion: page.resourceVersion, after: objectKey(last) }) : '',
      resourceVersion: String(page.resourceVersion),
      ...(more ? { remainingItemCount: page.remaining } : {}),
    },
  };
}

function pageOf(store: ApiStore, route: ResourceRoute, query: URLSearchParams): Page {
  const token = decodeContinue(query.get('continue'));
  if (token !== undefined && token.resourceVersion < store.compactedBefore) {
    throw new ApiError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.');
  }
  const all = store.list(route.ref);
  const after = token?.after;
  const candidates = after === undefined ? all : all.filter((object) => objectKey(object) > after);
  const limit = Number(query.get('limit') ?? '0');
  const items = limit > 0 ? candidates.slice(0, limit) : candidates;
  return {
    items,
    remaining: candidates.length - items.length,
    resourceVersion: token?.resourceVersion ?? store.resourceVersion,
  };
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(value: string | null): ContinueToken | undefined {
  if (value === null || value === '') {
    return undefined;
  }
  try {
    return JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as ContinueToken;
  } catch {
    throw new ApiError(400, 'BadRequest', 'continue key is not valid');
  }
}

function existing(store: ApiStore, ref: ResourceRef, name: string): JsonObject {
  const object = store.get(ref, name);
  if (object === undefined) {
    throw new ApiError(404, 'NotFound', `${ref.plural}.${ref.group} "${name}" not found`);
  }
  return object;
}

/** A PUT body names the object of its path; an empty name means that one. */
function named(object: JsonObject, name: string): JsonObject {
  const bodyName = nameOf(object);
  if (bodyName !== '' && bodyName !== name) {
    throw new ApiError(400, 'BadRequest', `the name of the object (${bodyName}) does not match the name on the URL (${name})`);
  }
  return { ...object, metadata: { ...metadataOf(object), name } };
}

async function patch(request: IncomingMessage, store: ApiStore, ref: ResourceRef, name: string): Promise<JsonObject> {
  const current = existing(store, ref, name);
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim();
  const body = await readBody(request);
  let patched: unknown;
  if (type === 'application/merge-patch+json') {
    patched = mergePatch(current, body);
  } else if (type === 'application/json-patch+json') {
    patched = jsonPatch(current, body);
  } else {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json`,
    );
  }
  return store.update(ref, named(patched as JsonObject, name));
}

async function readJson(request: IncomingMessage): Promise<JsonObject> {
  const body = await readBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'BadRequest', 'the request body is not a JSON object');
  }
  return body as JsonObject;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ApiError(400, 'BadRequest', 'the request body is not valid JSON');
  }
}
