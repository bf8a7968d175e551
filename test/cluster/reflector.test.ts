import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from '../../src/cluster/backoff.ts';
import { ClassIndex } from '../../src/cluster/class-index.ts';
import { SNAPSHOT_DEFAULT_ANNOTATION } from '../../src/rules/snapshot-api.ts';
import { Reflector } from '../../src/cluster/reflector.ts';
import type { ReflectorEnd, ReflectorOptions } from '../../src/cluster/reflector.ts';
import { groupFromCrds, SNAPSHOT_CLASSES, SNAPSHOT_GROUP } from '../../testkit/api-groups.ts';
import { listRequests, watchRequests } from '../support/class-cache-harness.ts';
import { volumeSnapshotClass } from '../../testkit/class-fixtures.ts';
import { FakeApiServer } from '../../testkit/fake-api-server.ts';
import { RecordingLogger } from '../support/recording-logger.ts';
import { waitFor } from '../support/wait-for.ts';

const PATH = '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses';

let server: FakeApiServer | undefined;
let running: { reflector: Reflector; end: Promise<ReflectorEnd> } | undefined;

afterEach(async () => {
  running?.reflector.stop();
  await running?.end;
  await server?.close();
  running = undefined;
  server = undefined;
});

async function startServer(): Promise<FakeApiServer> {
  server = await FakeApiServer.start({ groups: [groupFromCrds('v8.6.0', SNAPSHOT_GROUP)] });
  return server;
}

function run(
  api: FakeApiServer,
  options: Partial<ReflectorOptions> = {},
): { reflector: Reflector; index: ClassIndex; end: Promise<ReflectorEnd> } {
  const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
  const reflector = new Reflector({
    kubeConfig: api.kubeConfig(),
    path: PATH,
    resource: 'volumesnapshotclasses.snapshot.storage.k8s.io/v1',
    index,
    logger: new RecordingLogger(),
    backoff: DEFAULT_BACKOFF,
    listPageSize: 500,
    requestTimeoutMs: 5_000,
    watchTimeoutSeconds: 28,
    ...options,
  });
  running = { reflector, end: reflector.run() };
  return { reflector, index, end: running.end };
}

describe('Reflector', () => {
  it('lists in pages, then watches from the resourceVersion of the list', async () => {
    const api = await startServer();
    ['a', 'b', 'c', 'd', 'e'].forEach((name) => api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass(name, 'x.csi')));
    const { reflector, index } = run(api, { listPageSize: 2 });

    await waitFor('the watch to start', () => reflector.status().watchConnected);
    const lists = listRequests(api, PATH);
    expect(lists.map((request) => request.query.limit)).toEqual(['2', '2', '2']);
    expect(lists.map((request) => request.query.continue !== undefined)).toEqual([false, true, true]);
    expect(index.size()).toBe(5);
    expect(watchRequests(api, PATH)[0]?.query.resourceVersion).toBe(String(api.store.resourceVersion));
  });

  it('asks the server to end each watch before client-node would give up on a quiet one (30 s)', async () => {
    const api = await startServer();
    const { reflector } = run(api, { watchTimeoutSeconds: 28 });
    await waitFor('the watch to start', () => reflector.status().watchConnected);

    const timeout = Number(watchRequests(api, PATH)[0]?.query.timeoutSeconds);
    expect(timeout).toBeGreaterThanOrEqual(22);
    expect(timeout).toBeLessThanOrEqual(28);
  });

  it("ends with 'gone' when the collection answers 404 (its CRD was removed)", async () => {
    const api = await startServer();
    const { reflector, end } = run(api);
    await waitFor('the watch to start', () => reflector.status().watchConnected);

    api.uninstallGroup(SNAPSHOT_GROUP);
    expect(await end).toBe('gone');
  });

  it("ends with 'gone' at once when the first LIST answers 404", async () => {
    const api = await startServer();
    api.uninstallGroup(SNAPSHOT_GROUP);

    expect(await run(api).end).toBe('gone');
  });

  it("ends with 'stopped' at once when stopped while waiting to retry", async () => {
    const api = await startServer();
    await api.setUnreachable(true);
    const logger = new RecordingLogger();
    const { reflector, end } = run(api, { logger, backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 } });
    await waitFor('the first attempt to fail', () => logger.find('warn', 'cannot sync').length === 1);

    reflector.stop();
    expect(await end).toBe('stopped');
    expect(reflector.status()).toMatchObject({ synced: false, watchConnected: false });
  });

  it("ends with 'stopped' at once when stopped while a watch request hangs", async () => {
    const api = await startServer();
    const { reflector, end } = run(api);
    await waitFor('the watch to start', () => reflector.status().watchConnected);
    api.holdWatches(true);
    const watches = watchRequests(api, PATH).length;
    api.closeWatches();
    await waitFor('the next watch request to hang', () => watchRequests(api, PATH).length > watches);

    const stoppedAt = performance.now();
    reflector.stop();
    expect(await end).toBe('stopped');
    // Not client-node's 30 s connection timeout (which still closes the request itself later:
    // Watch gives no handle on a request before the server answers).
    expect(performance.now() - stoppedAt).toBeLessThan(1_000);
  });

  it('relists at once after a 410, but backs off when every watch is refused as expired', async () => {
    const api = await startServer();
    const { reflector } = run(api, { backoff: { initialMs: 100, maxMs: 5_000, jitter: 0.2 } });
    await waitFor('the watch to start', () => reflector.status().watchConnected);

    api.expireEveryWatch(true);
    api.expireWatches();
    await waitFor('five relists', () => listRequests(api, PATH).length >= 6, { timeoutMs: 15_000 });
    const times = listRequests(api, PATH).map((request) => request.at);
    const gaps = times.slice(2).map((time, i) => time - (times[i + 1] ?? 0));

    // 100, 200, 400, 800 ms (± 20 %) rather than a LIST every 100 ms.
    expect(gaps[3]).toBeGreaterThan(2 * (gaps[0] ?? 0));
  });
});
