/**
 * The class caches when the connection to the API server breaks: dropped and ended watches,
 * expired resourceVersions, an API server that is away for a while.
 */
import { describe, expect, it } from 'vitest';
import type { ClassView } from '../../src/rules/class-view.ts';
import { groupsFromCrds, groupSnapshotClasses, SNAPSHOT_CLASSES } from '../../testkit/api-groups.ts';
import { cacheHarnessPerTest, listRequests, watchRequests } from '../support/class-cache-harness.ts';
import type { CacheHarness, HarnessOptions } from '../support/class-cache-harness.ts';
import { volumeGroupSnapshotClass, volumeSnapshotClass } from '../../testkit/class-fixtures.ts';
import type { RecordedRequest } from '../../testkit/fake-api-server.ts';
import { waitFor } from '../support/wait-for.ts';

const PATH = '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses';
const DRIVER = 'hostpath.csi.k8s.io';

const startHarness = cacheHarnessPerTest();

/** Caches over the v8.6.0 CRDs with one default class, synced and watching. */
async function startWatching(options: HarnessOptions = {}): Promise<CacheHarness & { readonly view: () => ClassView }> {
  const harness = await startHarness(groupsFromCrds('v8.6.0'), {
    ...options,
    before: (server) => {
      server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('seeded', DRIVER, { isDefault: 'true' }));
    },
  });
  const { caches, server } = harness;
  await waitFor('the caches to sync and watch', () => caches.ready() && server.openWatches === 2);
  const view = (): ClassView => {
    const classes = caches.view.snapshotClasses;
    if (classes === null) {
      throw new Error('the snapshot class view went away');
    }
    return classes;
  };
  return { ...harness, view };
}

function lastOf(requests: readonly RecordedRequest[]): RecordedRequest {
  const last = requests.at(-1);
  if (last === undefined) {
    throw new Error('no such request');
  }
  return last;
}

describe('class caches when the watch breaks', () => {
  it('reconnects a dropped watch within about 200 ms, from the last resourceVersion, without a LIST', async () => {
    const { server, logger, view } = await startWatching();
    server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('before-drop', DRIVER));
    await waitFor('the class to arrive', () => view().get('before-drop') !== undefined);
    const lastVersion = String(server.store.resourceVersion);
    const watches = watchRequests(server, PATH).length;
    const lists = listRequests(server, PATH).length;

    const droppedAt = Date.now();
    server.dropWatches();
    await waitFor('a new watch', () => watchRequests(server, PATH).length > watches);
    const rewatch = lastOf(watchRequests(server, PATH));
    const reconnectMs = rewatch.at - droppedAt;
    console.info(`class cache: watch reopened ${reconnectMs} ms after the connection was dropped`);

    // Backoff starts at 200 ms ± 20 % (client-node's own informer: never, after a dropped connection).
    expect(reconnectMs).toBeLessThan(1_000);
    expect(rewatch.query).toMatchObject({ resourceVersion: lastVersion, allowWatchBookmarks: 'true' });
    expect(listRequests(server, PATH)).toHaveLength(lists);
    expect(view().defaultsFor(DRIVER)).toEqual(['seeded']); // kept meanwhile

    server.deleteObject(SNAPSHOT_CLASSES, 'seeded');
    server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('after-drop', DRIVER, { isDefault: 'true' }));
    await waitFor('changes after the reconnect to arrive', () => view().defaultsFor(DRIVER).join() === 'after-drop');
    expect(logger.find('info', 'recovered').length).toBeGreaterThan(0);
  });

  it('resumes a watch the server ended (its timeout) without a LIST and without calling it an outage', async () => {
    const { server, logger, view } = await startWatching();
    const watches = watchRequests(server, PATH).length;
    const lists = listRequests(server, PATH).length;

    server.closeWatches();
    await waitFor('a new watch', () => watchRequests(server, PATH).length > watches && server.openWatches === 2);
    server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('after-close', DRIVER));
    await waitFor('the change to arrive', () => view().get('after-close') !== undefined);

    expect(listRequests(server, PATH)).toHaveLength(lists);
    expect(logger.entries.filter((entry) => entry.level === 'warn')).toEqual([]);
  });

  it('starts the next watch from the last bookmark', async () => {
    const { server } = await startWatching();
    const watches = watchRequests(server, PATH).length;
    // Changes elsewhere move the resourceVersion; only a bookmark tells this watch about it.
    server.createObject(groupSnapshotClasses('v1'), volumeGroupSnapshotClass('elsewhere', DRIVER));
    const bookmarked = String(server.store.resourceVersion);

    server.bookmark();
    server.closeWatches();
    await waitFor('a new watch', () => watchRequests(server, PATH).length > watches);

    expect(lastOf(watchRequests(server, PATH)).query.resourceVersion).toBe(bookmarked);
  });

  it.each(['event', 'status'] as const)('lists again after a 410 (as %s) and sees what the watch missed', async (answer) => {
    const { server, logger, caches, view } = await startWatching({ backoff: { maxMs: 1_000 } });
    const oldVersion = String(server.store.resourceVersion);
    await server.setUnreachable(true);
    await waitFor('the watch to be down', () => !caches.status().snapshotClasses.watchConnected);

    // Missed by the watch, and then compacted away: only a new LIST can show them.
    server.deleteObject(SNAPSHOT_CLASSES, 'seeded');
    server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('while-down', DRIVER, { isDefault: 'true' }));
    server.expireWatches(answer);
    const lists = listRequests(server, PATH).length;
    await server.setUnreachable(false);

    await waitFor('the relist to replace the index', () => view().defaultsFor(DRIVER).join() === 'while-down');
    expect(view().get('seeded')).toBeUndefined();
    expect(listRequests(server, PATH)).toHaveLength(lists + 1);
    const refused = watchRequests(server, PATH).filter((request) => request.query.resourceVersion === oldVersion);
    expect(refused.at(-1)?.status).toBe(answer === 'event' ? 200 : 410);
    expect(logger.find('info', 'expired (410)').length).toBeGreaterThan(0);
    await waitFor('the watch to be back', () => caches.status().snapshotClasses.watchConnected);
  });
});

describe('class caches while the API server is away', () => {
  it('keeps deciding from the last known state, warns once per cache, and catches up when it is back', async () => {
    const { server, logger, caches, view } = await startWatching({ backoff: { maxMs: 1_000 } });
    const staleWarnings = (): number => logger.find('warn', 'class cache stale: using last known state').length;
    const failedAttempts = (): number =>
      logger.find('debug', 'still disconnected').filter((entry) => JSON.stringify(entry.fields).includes('volumesnapshotclasses')).length;

    await server.setUnreachable(true);
    await waitFor('several reconnects to fail', () => failedAttempts() >= 2);
    expect(view().defaultsFor(DRIVER)).toEqual(['seeded']);
    expect(caches.ready()).toBe(true);
    expect(caches.status().snapshotClasses).toMatchObject({ state: 'synced', size: 1, watchConnected: false });
    expect(staleWarnings()).toBe(2); // one per cache, not one per attempt

    server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('made-while-away', DRIVER));
    const backAt = Date.now();
    await server.setUnreachable(false);
    const catchUpMs = await waitFor('the change made meanwhile to arrive', () => view().get('made-while-away') !== undefined);
    console.info(`class cache: caught up ${Math.round(catchUpMs)} ms after the API server came back (backoff capped at 1 s here)`);

    // The server counts a watch when it answers; the client logs once it has read that answer.
    await waitFor('both caches to say they recovered', () => logger.find('info', 'recovered').length >= 2);
    expect(logger.find('info', 'recovered')).toHaveLength(2);
    expect(server.openWatches).toBe(2);
    expect(staleWarnings()).toBe(2);
    expect(Date.now() - backAt).toBeLessThan(5_000);
  });
});
