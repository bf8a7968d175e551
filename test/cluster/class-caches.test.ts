import { describe, expect, it } from 'vitest';
import {
  GROUP_SNAPSHOT_GROUP,
  groupFromCrds,
  groupsFromCrds,
  groupSnapshotClasses,
  SNAPSHOT_CLASSES,
  SNAPSHOT_GROUP,
} from '../../testkit/api-groups.ts';
import { cacheHarnessPerTest } from '../support/class-cache-harness.ts';
import { volumeGroupSnapshotClass, volumeSnapshotClass } from '../../testkit/class-fixtures.ts';
import { waitFor } from '../support/wait-for.ts';

/** The status of a cache that holds nothing and watches nothing. */
const emptyStatus = (state: string) => ({ state, size: 0, lastSyncTime: null, watchConnected: false, duplicateDefaults: 0 });

const DRIVER = 'hostpath.csi.k8s.io';
const OTHER_DRIVER = 'ebs.csi.aws.com';

const start = cacheHarnessPerTest();

describe('startClassCaches', () => {
  it('shows nothing until the first LIST is in, then the classes it listed', async () => {
    const { caches } = await start(groupsFromCrds('v8.6.0'), {
      before: (server) => {
        server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('default-class', DRIVER, { isDefault: 'true' }));
        server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('plain', DRIVER));
        server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('other', OTHER_DRIVER, { isDefault: 'True' }));
        server.createObject(groupSnapshotClasses('v1'), volumeGroupSnapshotClass('group-default', DRIVER, { isDefault: 'true' }));
      },
    });

    // Nothing has come back from the network yet: not ready, and no half-filled index for the rules.
    expect(caches.ready()).toBe(false);
    expect(caches.view.snapshotClasses).toBeNull();
    expect(caches.status().snapshotClasses.state).toBe('syncing');

    await waitFor('the caches to sync', () => caches.ready());
    const snapshots = caches.view.snapshotClasses;
    expect(snapshots?.size()).toBe(3);
    expect(snapshots?.defaultsFor(DRIVER)).toEqual(['default-class']);
    expect(snapshots?.defaultsFor(OTHER_DRIVER)).toEqual([]);
    expect(snapshots?.get('plain')).toEqual({ name: 'plain', driver: DRIVER, isDefault: false });
    expect(caches.view.groupSnapshotClasses?.defaultsFor(DRIVER)).toEqual(['group-default']);
    const synced = (size: number) => ({
      state: 'synced',
      size,
      lastSyncTime: expect.any(Date) as Date,
      watchConnected: expect.any(Boolean) as boolean,
      duplicateDefaults: 0,
      version: 'v1',
    });
    expect(caches.status()).toEqual({ snapshotClasses: synced(3), groupSnapshotClasses: synced(1) });
    await waitFor(
      'both watches to connect',
      () => caches.status().snapshotClasses.watchConnected && caches.status().groupSnapshotClasses.watchConnected,
    );
  });

  it('follows a class through creation, becoming default, moving driver and deletion', async () => {
    const { server, caches } = await start(groupsFromCrds('v8.6.0'));
    await waitFor('the caches to sync', () => caches.ready());
    const view = (): ReturnType<NonNullable<typeof caches.view.snapshotClasses>['get']> => caches.view.snapshotClasses?.get('moving');

    const created = server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('moving', DRIVER));
    await waitFor('ADDED to reach the index', () => view() !== undefined);
    expect(caches.view.snapshotClasses?.hasAnyDefault()).toBe(false);

    const annotations = { 'snapshot.storage.kubernetes.io/is-default-class': 'true' };
    const madeDefault = server.updateObject(SNAPSHOT_CLASSES, { ...created, metadata: { ...(created.metadata as object), annotations } });
    await waitFor('MODIFIED (default) to reach the index', () => view()?.isDefault === true);
    expect(caches.view.snapshotClasses?.defaultsFor(DRIVER)).toEqual(['moving']);

    server.updateObject(SNAPSHOT_CLASSES, { ...madeDefault, driver: OTHER_DRIVER });
    await waitFor('MODIFIED (driver) to reach the index', () => view()?.driver === OTHER_DRIVER);
    expect(caches.view.snapshotClasses?.defaultsFor(DRIVER)).toEqual([]);
    expect(caches.view.snapshotClasses?.defaultsFor(OTHER_DRIVER)).toEqual(['moving']);

    server.deleteObject(SNAPSHOT_CLASSES, 'moving');
    await waitFor('DELETED to reach the index', () => view() === undefined);
    expect(caches.view.snapshotClasses?.hasAnyDefault()).toBe(false);
    expect(caches.status().snapshotClasses.size).toBe(0);
  });

  it('without the group snapshot CRDs: absent and null, warns once, picks them up when installed, drops them when removed', async () => {
    const { server, caches, logger } = await start([groupFromCrds('v8.6.0', SNAPSHOT_GROUP)], { discoveryIntervalMs: 50 });
    const absentWarnings = (): number => logger.find('warn', 'does not serve this resource').length;
    const discoveries = (): number => server.requestsTo('/apis/groupsnapshot.storage.k8s.io').length;

    await waitFor('the caches to be ready', () => caches.ready());
    expect(caches.status().groupSnapshotClasses).toEqual(emptyStatus('absent'));
    expect(caches.view.groupSnapshotClasses).toBeNull();
    expect(caches.view.snapshotClasses).not.toBeNull();
    await waitFor('discovery to run again several times', () => discoveries() >= 4);
    expect(absentWarnings()).toBe(1);

    // The v7 CRDs serve only v1alpha1.
    server.installGroup(groupFromCrds('v7.0.2', GROUP_SNAPSHOT_GROUP));
    server.createObject(groupSnapshotClasses('v1alpha1'), volumeGroupSnapshotClass('group-default', DRIVER, { isDefault: 'true' }));
    await waitFor('the group class to be visible', () => caches.view.groupSnapshotClasses?.defaultsFor(DRIVER).length === 1);
    expect(caches.status().groupSnapshotClasses).toMatchObject({ state: 'synced', size: 1, version: 'v1alpha1' });

    server.uninstallGroup(GROUP_SNAPSHOT_GROUP);
    await waitFor('the cache to notice the CRDs are gone', () => caches.status().groupSnapshotClasses.state === 'absent');
    expect(caches.view.groupSnapshotClasses).toBeNull();
    expect(caches.ready()).toBe(true);
    expect(absentWarnings()).toBe(2);
  });

  it('reports a disabled cache, never asks the API server about it, and is ready without it', async () => {
    const { server, caches } = await start(groupsFromCrds('v8.6.0'), { groupSnapshotClasses: false });

    await waitFor('the snapshot class cache to sync', () => caches.ready());
    expect(caches.status().groupSnapshotClasses).toEqual(emptyStatus('disabled'));
    expect(caches.view.groupSnapshotClasses).toBeNull();
    expect(caches.status().snapshotClasses.state).toBe('synced');
    expect(server.requests.filter((request) => request.path.includes('groupsnapshot'))).toEqual([]);
  });

  it('is not ready while the API server cannot be reached at start, and syncs once it can', async () => {
    const { server, caches, logger } = await start(groupsFromCrds('v8.6.0'), {
      backoff: { maxMs: 400 },
      before: async (api) => {
        api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('early', DRIVER, { isDefault: 'true' }));
        await api.setUnreachable(true);
      },
    });

    await waitFor('discovery to fail and be reported', () => logger.find('warn', 'cannot discover').length === 2);
    expect(caches.ready()).toBe(false);
    expect(caches.view.snapshotClasses).toBeNull();

    await server.setUnreachable(false);
    await waitFor('the caches to sync', () => caches.ready());
    expect(caches.view.snapshotClasses?.defaultsFor(DRIVER)).toEqual(['early']);
    expect(logger.find('warn', 'cannot discover')).toHaveLength(2); // once per cache, not per attempt
  });

  it('stop() closes its watches and ends its loops', async () => {
    const { server, caches } = await start(groupsFromCrds('v8.6.0'));
    await waitFor('both watches to be open', () => server.openWatches === 2);

    await caches.stop();
    await waitFor('the server to see the watches closed', () => server.openWatches === 0);
    expect(caches.status().snapshotClasses.watchConnected).toBe(false);
  });
});
