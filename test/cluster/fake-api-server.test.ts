/**
 * The fake API server against what a real kube-apiserver sent (test/fixtures/captures/wire): the other
 * cluster tests are only as good as this likeness.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORE_GROUP, groupsFromCrds, SNAPSHOT_CLASSES } from '../../testkit/api-groups.ts';
import { VERSION_INFO } from '../../testkit/fake-api-handlers.ts';
import { FakeApiServer } from '../../testkit/fake-api-server.ts';
import type { JsonObject } from '../../testkit/fake-api-server.ts';
import { waitFor } from '../support/wait-for.ts';

const WIRE = new URL('../fixtures/captures/wire/', import.meta.url);
const CLASSES_PATH = '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses';

function capture(name: string): string {
  return readFileSync(new URL(name, WIRE), 'utf8');
}

function captureLines(name: string): JsonObject[] {
  return capture(name)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonObject);
}

/** The structure of a JSON value: keys (sorted) and leaf types; an array by its first element. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.length === 0 ? [] : [shape(value[0])];
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as JsonObject).filter(([key]) => key !== 'managedFields');
    return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)).map(([key, child]) => [key, shape(child)]));
  }
  return typeof value;
}

interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

let server: FakeApiServer;

function send(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${server.token}`, 'content-type': contentType };
    const options = { host: '127.0.0.1', port: server.port, path, method, ca: server.caCert, headers, agent: false };
    const outgoing = request(options, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'] ?? '', text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function sendJson(method: string, path: string, body?: unknown, contentType?: string): Promise<[number, JsonObject]> {
  const response = await send(method, path, body, contentType);
  return [response.status, JSON.parse(response.text) as JsonObject];
}

/** Opens a watch and collects its first `count` lines (or all until the server ends it). */
function watchLines(path: string, count: number): Promise<JsonObject[]> {
  return new Promise((resolve, reject) => {
    const lines: JsonObject[] = [];
    let buffered = '';
    const headers = { authorization: `Bearer ${server.token}` };
    const outgoing = request({ host: '127.0.0.1', port: server.port, path, ca: server.caCert, headers }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        lines.push(...parts.map((line) => JSON.parse(line) as JsonObject));
        if (lines.length >= count) {
          outgoing.destroy();
          resolve(lines);
        }
      });
      response.on('end', () => resolve(lines));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** A captured object as a client would have written it: without the fields the server sets. */
function asWritten(object: JsonObject): JsonObject {
  const { annotations, name } = object.metadata as JsonObject;
  return { ...object, metadata: { name, annotations } };
}

function capturedClass(): JsonObject {
  const list = JSON.parse(capture('list-volumesnapshotclasses.json')) as { items: JsonObject[] };
  return asWritten(list.items[0] ?? {});
}

beforeAll(async () => {
  server = await FakeApiServer.start({ groups: [...groupsFromCrds('v8.6.0'), CORE_GROUP] });
});

afterAll(async () => {
  await server.close();
});

describe('the fake API server speaks the captured wire format', () => {
  it('LIST: same body shape as list-volumesnapshotclasses.json', async () => {
    server.createObject(SNAPSHOT_CLASSES, capturedClass());
    const [status, list] = await sendJson('GET', CLASSES_PATH);

    expect(status).toBe(200);
    expect(shape(list)).toEqual(shape(JSON.parse(capture('list-volumesnapshotclasses.json'))));
    expect(list.kind).toBe('VolumeSnapshotClassList');
    server.deleteObject(SNAPSHOT_CLASSES, 'csi-hostpath-snapclass');
  });

  it('WATCH: ADDED, MODIFIED, DELETED and BOOKMARK lines shaped as watch-volumesnapshotclasses.jsonl', async () => {
    const from = server.store.resourceVersion;
    const watching = watchLines(`${CLASSES_PATH}?watch=true&allowWatchBookmarks=true&resourceVersion=${from}`, 4);
    await waitFor('the watch to be open', () => server.openWatches === 1);
    // The same changes as in the capture: created, annotated default, deleted.
    const captured = captureLines('watch-volumesnapshotclasses.jsonl');
    const [added, modified] = captured.map((line) => asWritten(line.object as JsonObject));
    const created = server.createObject(SNAPSHOT_CLASSES, added ?? {});
    server.updateObject(SNAPSHOT_CLASSES, {
      ...created,
      metadata: { ...(created.metadata as JsonObject), annotations: (modified?.metadata as JsonObject).annotations },
    });
    server.deleteObject(SNAPSHOT_CLASSES, 'second-class');
    server.bookmark();
    const lines = await watching;

    expect(lines.map((line) => line.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);
    lines.forEach((line, i) => expect(shape(line)).toEqual(shape(captured[i])));
    const versions = lines.map((line) => Number(((line.object as JsonObject).metadata as JsonObject).resourceVersion));
    expect(versions).toEqual([from + 1, from + 2, from + 3, from + 3]);
  });

  it('WATCH from a compacted resourceVersion: one ERROR event with a 410 Status, as watch-expired-410.jsonl', async () => {
    server.expireWatches();
    const lines = await watchLines(`${CLASSES_PATH}?watch=1&resourceVersion=1`, 2);
    const [expected] = captureLines('watch-expired-410.jsonl');

    expect(lines).toHaveLength(1);
    expect(shape(lines[0])).toEqual(shape(expected));
    expect(lines[0]?.object).toMatchObject({
      reason: 'Expired',
      code: 410,
      message: expect.stringMatching(/^too old resource version: 1 \(\d+\)$/) as unknown,
    });
  });

  it('or, when told to, refuses an expired watch with HTTP 410', async () => {
    server.expireWatches('status');
    const [status, body] = await sendJson('GET', `${CLASSES_PATH}?watch=true&resourceVersion=1`);
    server.expireWatches('event');

    expect(status).toBe(410);
    expect(body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });

  it('discovery: group and group-version as captured, and the plain-text 404 of a missing group', async () => {
    const [, group] = await sendJson('GET', '/apis/groupsnapshot.storage.k8s.io');
    const [, resources] = await sendJson('GET', '/apis/groupsnapshot.storage.k8s.io/v1beta2');
    const missing = await send('GET', '/apis/not-installed.example.com');
    const withoutHashes = (list: JsonObject): unknown =>
      (list.resources as JsonObject[]).map(({ storageVersionHash: _hash, ...resource }) => resource);
    const capturedResources = JSON.parse(capture('discovery-groupsnapshot-v1beta2.json')) as JsonObject;

    expect(group).toEqual(JSON.parse(capture('discovery-groupsnapshot.json')));
    expect({ ...resources, resources: withoutHashes(resources) }).toEqual({
      ...capturedResources,
      resources: withoutHashes(capturedResources),
    });
    expect([missing.status, missing.contentType, missing.text]).toEqual([
      404,
      'text/plain; charset=utf-8',
      capture('discovery-missing-group-404.json'),
    ]);
  });
});

describe('the fake API server as a store other tests can drive', () => {
  it('pages a LIST with limit/continue at one resourceVersion, and expires old continue tokens', async () => {
    const names = ['p-a', 'p-b', 'p-c', 'p-d', 'p-e'];
    names.forEach((name) => server.createObject(SNAPSHOT_CLASSES, { metadata: { name }, driver: 'paging.csi' }));
    const [, first] = await sendJson('GET', `${CLASSES_PATH}?limit=2`);
    const pages = [first];
    let token = (first.metadata as JsonObject).continue as string;
    while (token !== '') {
      const [, page] = await sendJson('GET', `${CLASSES_PATH}?limit=2&continue=${token}`);
      pages.push(page);
      token = (page.metadata as JsonObject).continue as string;
    }
    const listed = pages.flatMap((page) => (page.items as JsonObject[]).map((item) => (item.metadata as JsonObject).name));

    expect(pages).toHaveLength(3);
    expect(listed).toEqual(names);
    expect(new Set(pages.map((page) => (page.metadata as JsonObject).resourceVersion)).size).toBe(1);
    server.expireWatches();
    const [status] = await sendJson('GET', `${CLASSES_PATH}?limit=2&continue=${(first.metadata as JsonObject).continue as string}`);
    expect(status).toBe(410);
    names.forEach((name) => server.deleteObject(SNAPSHOT_CLASSES, name));
  });

  it('creates, reads, replaces, patches (merge and JSON patch) and deletes objects', async () => {
    const [created, body] = await sendJson('POST', CLASSES_PATH, {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: 'crud' },
      driver: 'a.csi',
      deletionPolicy: 'Delete',
    });
    const [duplicate] = await sendJson('POST', CLASSES_PATH, { metadata: { name: 'crud' }, driver: 'a.csi' });
    const [stale] = await sendJson('PUT', `${CLASSES_PATH}/crud`, { ...body, metadata: { name: 'crud', resourceVersion: '1' } });
    const [merged, afterMerge] = await sendJson(
      'PATCH',
      `${CLASSES_PATH}/crud`,
      { metadata: { annotations: { a: 'b' } }, deletionPolicy: null },
      'application/merge-patch+json',
    );
    const [patched, afterPatch] = await sendJson(
      'PATCH',
      `${CLASSES_PATH}/crud`,
      [
        { op: 'replace', path: '/driver', value: 'b.csi' },
        { op: 'remove', path: '/metadata/annotations/a' },
      ],
      'application/json-patch+json',
    );
    const [strategic] = await sendJson('PATCH', `${CLASSES_PATH}/crud`, {}, 'application/strategic-merge-patch+json');
    const [deleted] = await sendJson('DELETE', `${CLASSES_PATH}/crud`);
    const [gone, status] = await sendJson('GET', `${CLASSES_PATH}/crud`);

    expect([created, duplicate, stale, merged, patched, strategic, deleted, gone]).toEqual([201, 409, 409, 200, 200, 415, 200, 404]);
    expect(afterMerge).toMatchObject({ metadata: { annotations: { a: 'b' } }, driver: 'a.csi' });
    expect(afterMerge).not.toHaveProperty('deletionPolicy');
    expect(afterPatch).toMatchObject({ metadata: { annotations: {} }, driver: 'b.csi', kind: 'VolumeSnapshotClass' });
    expect(status).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'volumesnapshotclasses.snapshot.storage.k8s.io "crud" not found',
    });
  });

  it('serves namespaced core objects (Secrets) per namespace and across namespaces', async () => {
    await sendJson('POST', '/api/v1/namespaces/one/secrets', { metadata: { name: 'tls' }, data: { 'tls.crt': 'eA==' } });
    await sendJson('POST', '/api/v1/namespaces/two/secrets', { metadata: { name: 'tls' } });
    const [, inOne] = await sendJson('GET', '/api/v1/namespaces/one/secrets');
    const [, everywhere] = await sendJson('GET', '/api/v1/secrets');
    const [, secret] = await sendJson('GET', '/api/v1/namespaces/one/secrets/tls');

    expect((inOne.items as JsonObject[]).length).toBe(1);
    expect((everywhere.items as JsonObject[]).length).toBe(2);
    expect(secret).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tls', namespace: 'one' },
      data: { 'tls.crt': 'eA==' },
    });
  });

  it('answers GET /version with the version.Info of a Kubernetes 1.35 server, which helm asks first', async () => {
    const response = await send('GET', '/version?timeout=32s');
    const info = JSON.parse(response.text) as JsonObject;

    expect([response.status, response.contentType]).toEqual([200, 'application/json']);
    expect(info).toEqual(VERSION_INFO);
    expect(info).toMatchObject({ major: '1', minor: '35', gitVersion: 'v1.35.0' });
    expect(Object.values(info).every((value) => typeof value === 'string')).toBe(true);
    expect(server.requestsTo('/version').at(-1)?.query).toEqual({ timeout: '32s' });
  });

  it('refuses requests without the bearer token', async () => {
    const response = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: server.port, path: CLASSES_PATH, ca: server.caCert }, (answer) => {
        answer.resume();
        resolve(answer.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });

    expect(response).toBe(401);
  });

  it('becomes unreachable and listens again on the same port', async () => {
    const port = server.port;
    await server.setUnreachable(true);
    await expect(send('GET', '/apis')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.setUnreachable(false);

    expect(server.port).toBe(port);
    expect((await send('GET', '/apis')).status).toBe(200);
  });
});
