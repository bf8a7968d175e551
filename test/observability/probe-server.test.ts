import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.ts';
import { startProbeServer } from '../../src/observability/probe-server.ts';
import { DISABLED_STATUS } from '../../src/cluster/class-cache.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

async function start(reasons: () => string[]) {
  const metrics = createMetrics();
  server = await startProbeServer({ port: 0, host: '127.0.0.1', registry: metrics.registry, notReadyReasons: reasons });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { metrics, base: `http://127.0.0.1:${port}` };
}

describe('probe server', () => {
  it('/livez is 200; /readyz follows the reasons and says them', async () => {
    let reasons: string[] = ['class caches not synced: snapshotClasses'];
    const { base } = await start(() => reasons);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    const unready = await fetch(`${base}/readyz`);
    expect(unready.status).toBe(503);
    expect(await unready.text()).toBe('not ready: class caches not synced: snapshotClasses\n');
    reasons = [];
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('/metrics serves the Prometheus text format with the webhook metrics', async () => {
    const { base, metrics } = await start(() => []);
    metrics.watchCaches(() => ({
      snapshotClasses: { ...DISABLED_STATUS, state: 'synced', size: 3 },
      groupSnapshotClasses: { ...DISABLED_STATUS, state: 'absent' },
    }));
    metrics.reviews.inc({ group: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', operation: 'CREATE', decision: 'denied' });
    metrics.decisionSeconds.observe({ kind: 'VolumeSnapshot' }, 0.00003);
    metrics.certificateExpiry.set(1_900_000_000);
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain(
      'snapshot_webhook_reviews_total{group="snapshot.storage.k8s.io",kind="VolumeSnapshot",operation="CREATE",decision="denied"} 1',
    );
    expect(text).toContain('snapshot_webhook_decision_duration_seconds_bucket{le="0.00005",kind="VolumeSnapshot"} 1');
    expect(text).toContain('snapshot_webhook_decision_duration_seconds_bucket{le="0.000025",kind="VolumeSnapshot"} 0');
    expect(text).toContain('snapshot_webhook_class_cache_size{resource="snapshotClasses"} 3');
    expect(text).toContain('snapshot_webhook_class_cache_state{resource="groupSnapshotClasses",state="absent"} 1');
    expect(text).toContain('snapshot_webhook_default_class_rule_enabled{resource="groupSnapshotClasses"} 0');
    expect(text).toContain('snapshot_webhook_default_class_rule_enabled{resource="snapshotClasses"} 1');
    expect(text).toContain('snapshot_webhook_certificate_expiry_timestamp_seconds 1900000000');
    expect(text).toContain('snapshot_webhook_process_resident_memory_bytes');
  });

  it('answers 404 elsewhere and 405 to other methods', async () => {
    const { base } = await start(() => []);
    expect((await fetch(`${base}/validate`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
