import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { WebhookMetrics } from '../../src/observability/metrics.ts';
import { groupFromCrds, groupsFromCrds, groupSnapshotClasses, SNAPSHOT_CLASSES, SNAPSHOT_GROUP } from '../../testkit/api-groups.ts';
import { cacheHarnessPerTest } from '../support/class-cache-harness.ts';
import type { CacheHarness } from '../support/class-cache-harness.ts';
import { volumeGroupSnapshotClass, volumeSnapshotClass } from '../../testkit/class-fixtures.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Two default classes for one driver can exist (made before the webhook ran, or while it was
 * down); the caches count them and /metrics exposes the count, so that an alert can fire.
 */
const DRIVER = 'hostpath.csi.k8s.io';
const OTHER_DRIVER = 'ebs.csi.aws.com';
const GAUGE = 'snapshot_webhook_drivers_with_multiple_defaults';

const startHarness = cacheHarnessPerTest();

function watched(caches: CacheHarness['caches']): WebhookMetrics {
  const metrics = createMetrics();
  metrics.watchCaches(() => caches.status());
  return metrics;
}

/** The gauge's line for a cache, as Prometheus scrapes it. */
async function gaugeLine(metrics: WebhookMetrics, resource: string): Promise<string | undefined> {
  const text = await metrics.registry.metrics();
  return text.split('\n').find((line) => line.startsWith(`${GAUGE}{resource="${resource}"}`));
}

describe('duplicate default classes in the class caches', () => {
  it('counts drivers with more than one default, per class kind, and follows changes', async () => {
    const harness = await startHarness(groupsFromCrds('v8.6.0'), {
      before: (server) => {
        server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('first', DRIVER, { isDefault: 'true' }));
        server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('second', DRIVER, { isDefault: 'true' }));
        // One default per driver is fine, and "True" is not a default.
        server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('ebs', OTHER_DRIVER, { isDefault: 'true' }));
        server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('ebs-shouting', OTHER_DRIVER, { isDefault: 'True' }));
        server.createObject(groupSnapshotClasses('v1'), volumeGroupSnapshotClass('group-only', DRIVER, { isDefault: 'true' }));
      },
    });
    const { server, caches } = harness;
    const metrics = watched(caches);
    await waitFor('the caches to sync', () => caches.ready());

    expect(caches.status().snapshotClasses.duplicateDefaults).toBe(1);
    expect(caches.status().groupSnapshotClasses.duplicateDefaults).toBe(0);
    expect(await gaugeLine(metrics, 'snapshotClasses')).toBe(`${GAUGE}{resource="snapshotClasses"} 1`);
    expect(await gaugeLine(metrics, 'groupSnapshotClasses')).toBe(`${GAUGE}{resource="groupSnapshotClasses"} 0`);

    // A third default for the same driver is still one driver; a second driver with two makes two.
    server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('third', DRIVER, { isDefault: 'true' }));
    server.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('ebs-again', OTHER_DRIVER, { isDefault: 'true' }));
    await waitFor('the new classes to reach the cache', () => caches.status().snapshotClasses.size === 6);
    expect(await gaugeLine(metrics, 'snapshotClasses')).toBe(`${GAUGE}{resource="snapshotClasses"} 2`);

    server.createObject(groupSnapshotClasses('v1'), volumeGroupSnapshotClass('group-second', DRIVER, { isDefault: 'true' }));
    await waitFor('the group duplicate to be counted', () => caches.status().groupSnapshotClasses.duplicateDefaults === 1);
    expect(await gaugeLine(metrics, 'groupSnapshotClasses')).toBe(`${GAUGE}{resource="groupSnapshotClasses"} 1`);

    for (const name of ['second', 'third', 'ebs-again']) server.deleteObject(SNAPSHOT_CLASSES, name);
    await waitFor('the deletions to reach the cache', () => caches.status().snapshotClasses.size === 3);
    expect(caches.status().snapshotClasses.duplicateDefaults).toBe(0);
    expect(await gaugeLine(metrics, 'snapshotClasses')).toBe(`${GAUGE}{resource="snapshotClasses"} 0`);
  });

  it('reads 0 for a cache that is absent or disabled', async () => {
    const harness = await startHarness([groupFromCrds('v8.6.0', SNAPSHOT_GROUP)], {
      snapshotClasses: false,
      discoveryIntervalMs: 60_000,
    });
    const { caches } = harness;
    const metrics = watched(caches);
    await waitFor('the caches to be ready', () => caches.ready());
    expect(caches.status().groupSnapshotClasses).toMatchObject({ state: 'absent', duplicateDefaults: 0 });
    expect(caches.status().snapshotClasses).toMatchObject({ state: 'disabled', duplicateDefaults: 0 });
    expect(await gaugeLine(metrics, 'snapshotClasses')).toBe(`${GAUGE}{resource="snapshotClasses"} 0`);
    expect(await gaugeLine(metrics, 'groupSnapshotClasses')).toBe(`${GAUGE}{resource="groupSnapshotClasses"} 0`);
  });
});
