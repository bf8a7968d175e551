import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_SNAPSHOT_GROUP, groupsFromCrds, SNAPSHOT_CLASSES } from '../../testkit/api-groups.ts';
import { reviewFrom } from '../../testkit/captures.ts';
import { volumeSnapshotClass } from '../../testkit/class-fixtures.ts';
import { FakeApiServer } from '../../testkit/fake-api-server.ts';
import { waitFor } from '../support/wait-for.ts';
import { startWebhook, type WebhookProcess } from '../support/webhook-process.ts';
import { describeFailures, startLoad, type Backend, type Review } from './support/load.ts';
import { ALLOWED_REVIEW, DENIED_REVIEW } from './support/reviews.ts';

/**
 * Faults 2 and 3: under constant traffic, the fake API server drops the watch
 * connections (three times), then is unreachable for three seconds. The decisions that need the
 * class cache go on from the last known state (a second default for a driver stays denied),
 * the webhook stays ready, says so in its log, and catches up when the API server is back.
 * Target: zero failed requests and zero wrong decisions.
 */
const DRIVER = 'hostpath.csi.k8s.io';
const WATCH_PATH = '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses';
const directory = mkdtempSync(join(tmpdir(), 'snapshot-webhook-faults-'));
const snapshotGroup = groupsFromCrds('v8.6.0').find((group) => group.name !== GROUP_SNAPSHOT_GROUP);

function classReview(name: string, driver: string): string {
  return JSON.stringify(
    reviewFrom('01', (review) => {
      const object = review.request.object as { metadata: { name: string }; driver: string };
      object.metadata.name = name;
      object.driver = driver;
      review.request.name = name;
    }),
  );
}

const REVIEWS: Review[] = [
  ALLOWED_REVIEW,
  // Needs the cache: the driver has a default already.
  { body: classReview('second-default', DRIVER), expected: 'denied' },
  DENIED_REVIEW,
  { body: classReview('first-default', 'other.csi.example.com'), expected: 'allowed' },
];

let api: FakeApiServer;
let webhook: WebhookProcess;
let backend: Backend;

async function readyz(): Promise<number> {
  return (await fetch(`http://127.0.0.1:${webhook.metricsPort}/readyz`)).status;
}

beforeAll(async () => {
  if (snapshotGroup === undefined) throw new Error('no snapshot group in the v8.6.0 CRDs');
  api = await FakeApiServer.start({ groups: [snapshotGroup] });
  api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('csi-hostpath-snapclass', DRIVER, { isDefault: 'true' }));
  const kubeconfig = await api.writeKubeconfig(join(directory, 'kubeconfig'));
  const caFile = join(directory, 'ca.crt');
  webhook = await startWebhook(['--kubeconfig', kubeconfig, '--self-signed-ca-file', caFile, '--drain-seconds', '0']);
  backend = { origin: `https://localhost:${webhook.admissionPort}`, ca: readFileSync(caFile, 'utf8') };
  const deadline = Date.now() + 10_000;
  while ((await readyz()) !== 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await waitFor('the watch to open', () => api.openWatches === 1);
});

afterAll(async () => {
  webhook.child.kill('SIGTERM');
  await webhook.exited;
  await api.close();
});

describe('the API server fails under load', () => {
  // Three drops 0.5 s apart: no watch in between lives long enough (5 s) to count as healthy, so the
  // backoff grows 200 → 400 → 800 ms (± 20 %) by design; on a busy machine add some scheduling.
  it('dropped watches: no request fails, no decision changes, each watch is back within two seconds', async () => {
    const load = startLoad({ target: () => backend, reviews: REVIEWS, maxMs: 15_000 });
    const reconnects: number[] = [];
    for (let drop = 0; drop < 3; drop += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const watches = api.requestsTo(WATCH_PATH).filter((request) => request.query.watch === 'true').length;
      api.dropWatches();
      reconnects.push(
        Math.round(
          await waitFor(
            'the watch to reopen',
            () => api.requestsTo(WATCH_PATH).filter((request) => request.query.watch === 'true').length > watches,
          ),
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await load.stop();
    console.log(
      `watches dropped 3 times under load: reopened after ${reconnects.join(', ')} ms; ${result.ok} answered, failures: ${describeFailures(result.failures)}`,
    );
    expect(describeFailures(result.failures)).toBe('none');
    expect(Math.max(...reconnects)).toBeLessThan(2_000);
  });

  it('an API server away for 3 s: no request fails, the last known state decides, the log says so, and it catches up', async () => {
    const load = startLoad({ target: () => backend, reviews: REVIEWS, maxMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logsBefore = webhook.logs.length;
    await api.setUnreachable(true);
    const awaySince = Date.now();
    const readiness = new Set<number>();
    while (Date.now() - awaySince < 3_000) {
      readiness.add(await readyz());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The metrics say it too, for alerts: the watch is down, the cache still holds the classes.
    const during = await (await fetch(`http://127.0.0.1:${webhook.metricsPort}/metrics`)).text();
    expect(during).toContain('snapshot_webhook_class_cache_watch_connected{resource="snapshotClasses"} 0');
    expect(during).toContain('snapshot_webhook_class_cache_state{resource="snapshotClasses",state="synced"} 1');
    // Created while the webhook could not see it: must be seen once the API server is back.
    api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('made-during-outage', 'outage.csi.example.com', { isDefault: 'true' }));
    await api.setUnreachable(false);
    const since = (line: Record<string, unknown>) => webhook.logs.indexOf(line) >= logsBefore;
    const recovered = await webhook.waitForLog((line) => since(line) && line.msg === 'class cache recovered: watching again', 20_000);
    const result = await load.stop();
    console.log(
      `API server unreachable for 3 s under load: readyz ${[...readiness].join('/')}, recovered after an outage of ${String(recovered.outageMs)} ms; ` +
        `${result.ok} answered, failures: ${describeFailures(result.failures)}`,
    );
    expect(describeFailures(result.failures)).toBe('none');
    expect([...readiness]).toEqual([200]);
    expect(webhook.logs.some((line) => since(line) && line.msg === 'class cache stale: using last known state')).toBe(true);
    // And each decision made meanwhile says which caches it read from their last known state.
    const staleDecision = webhook.logs.find((line) => since(line) && line.msg === 'review denied' && Array.isArray(line.staleClassCaches));
    expect(staleDecision?.staleClassCaches).toContain('snapshotClasses');
    // Caught up: the default made during the outage now blocks a second one (bounded wait).
    const second = { body: classReview('another', 'outage.csi.example.com'), expected: 'denied' as const };
    const deadline = Date.now() + 10_000;
    let failures = 'not tried';
    while (failures !== 'none' && Date.now() < deadline) {
      const once = startLoad({
        target: () => backend,
        reviews: [second],
        http2Sessions: 1,
        http1KeepAlive: 0,
        http1Fresh: 0,
        maxMs: 5_000,
        maxRequests: 1,
      });
      failures = describeFailures((await once.stop()).failures);
    }
    expect(failures).toBe('none');
  });
});
