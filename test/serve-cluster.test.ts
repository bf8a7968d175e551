import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookConfig } from '../src/config/config.ts';
import { serve, type RunningWebhook } from '../src/serve.ts';
import { GROUP_SNAPSHOT_GROUP, groupsFromCrds, groupSnapshotClasses, SNAPSHOT_CLASSES } from '../testkit/api-groups.ts';
import { reviewFrom } from '../testkit/captures.ts';
import { volumeGroupSnapshotClass, volumeSnapshotClass } from '../testkit/class-fixtures.ts';
import { http2Client, type Http2Client } from '../testkit/clients.ts';
import { FakeApiServer } from '../testkit/fake-api-server.ts';
import { testWebhookConfig } from './support/webhook-config.ts';
import { readFileSync } from 'node:fs';

/**
 * Test 3 of the core issue: the whole server against a fake API server speaking the real
 * list/watch wire format. Classes change while it runs; the next decisions follow.
 */
const DRIVER = 'hostpath.csi.k8s.io';
const directory = mkdtempSync(join(tmpdir(), 'snapshot-webhook-cluster-'));
const groups = groupsFromCrds('v8.6.0');
const snapshotGroup = groups.find((group) => group.name !== GROUP_SNAPSHOT_GROUP)!;
const groupSnapshotGroup = groups.find((group) => group.name === GROUP_SNAPSHOT_GROUP)!;

let api: FakeApiServer;
let webhook: RunningWebhook;
let client: Http2Client;

// Discovery every 0.2 s: a test installs the group CRDs while the server runs and waits for it to notice.
function config(kubeconfig: string): WebhookConfig {
  return testWebhookConfig({ selfSignedCaFile: join(directory, 'ca.crt'), kubeconfig, discoveryIntervalSeconds: 0.2 });
}

beforeAll(async () => {
  api = await FakeApiServer.start({ groups: [snapshotGroup] });
  api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('csi-hostpath-snapclass', DRIVER, { isDefault: 'true' }));
  const kubeconfig = await api.writeKubeconfig(join(directory, 'kubeconfig'));
  webhook = await serve(config(kubeconfig), pino({ level: 'silent' }));
  client = http2Client(`https://localhost:${webhook.admissionPort}`, readFileSync(join(directory, 'ca.crt'), 'utf8'));
});

afterAll(async () => {
  client.close();
  await webhook.shutdown();
  await api.close();
});

/**
 * A CREATE of a VolumeSnapshotClass (or a group class) named `name`, default for `driver`, as a
 * dry run: these reviews ask what would be decided, again and again, and nothing is written, so
 * the replica must not take them for defaults about to appear (see the concurrency test).
 */
function classReview(name: string, driver: string, group = false) {
  return reviewFrom(group ? '05' : '01', (review) => {
    review.request.dryRun = true;
    const object = review.request.object as { metadata: { name: string }; driver: string };
    object.metadata.name = name;
    object.driver = driver;
    review.request.name = name;
  });
}

async function allowed(review: object): Promise<boolean> {
  const answer = await client.post('/validate', JSON.stringify(review));
  return (JSON.parse(answer.text) as { response: { allowed: boolean } }).response.allowed;
}

/** Decisions follow the watch a moment later: poll, bounded. */
async function eventually(review: object, expected: boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await allowed(review)) !== expected) {
    if (Date.now() > deadline) throw new Error(`decision stayed ${String(!expected)} for 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function readyz(): Promise<number> {
  return (await fetch(`http://127.0.0.1:${webhook.metricsPort}/readyz`)).status;
}

describe('the default-class rule follows the cluster', () => {
  it('is ready once synced, with the group CRDs absent', async () => {
    const deadline = Date.now() + 10_000;
    while ((await readyz()) !== 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(await readyz()).toBe(200);
    const metrics = await webhook.metrics.registry.metrics();
    expect(metrics).toContain('snapshot_webhook_class_cache_state{resource="groupSnapshotClasses",state="absent"} 1');
  });

  it('denies a second default for the driver that has one', async () => {
    expect(await allowed(classReview('fast', DRIVER))).toBe(false);
    expect(await allowed(classReview('fast', 'other.csi.example.com'))).toBe(true);
    expect(await webhook.metrics.registry.metrics()).toMatch(
      /^snapshot_webhook_violations_total\{rule="volumesnapshotclass-single-default"\} [1-9]/m,
    );
  });

  it('follows a class created, made default, moved to another driver, and deleted', async () => {
    const other = 'other.csi.example.com';
    const candidate = classReview('second', other);
    api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('elsewhere', other));
    await eventually(candidate, true);
    api.updateObject(SNAPSHOT_CLASSES, volumeSnapshotClass('elsewhere', other, { isDefault: 'true' }));
    await eventually(candidate, false);
    api.updateObject(SNAPSHOT_CLASSES, volumeSnapshotClass('elsewhere', 'third.csi.example.com', { isDefault: 'true' }));
    await eventually(candidate, true);
    await eventually(classReview('second', 'third.csi.example.com'), false);
    api.deleteObject(SNAPSHOT_CLASSES, 'elsewhere');
    await eventually(classReview('second', 'third.csi.example.com'), true);
  });

  it('allows one of two defaults for one driver sent together, before the watch shows either', async () => {
    const written = (name: string) => {
      const review = classReview(name, 'together.csi.example.com');
      review.request.dryRun = false;
      return review;
    };
    const answers = await Promise.all([allowed(written('together-a')), allowed(written('together-b'))]);
    expect(answers.sort()).toEqual([false, true]);
  });

  it('turns the group default-class rule on when the group CRDs are installed', async () => {
    const review = classReview('group-b', DRIVER, true);
    expect(await allowed(review)).toBe(true);
    api.installGroup(groupSnapshotGroup);
    const version = groupSnapshotGroup.versions[0] ?? 'v1';
    api.createObject(groupSnapshotClasses(version), volumeGroupSnapshotClass('group-a', DRIVER, { isDefault: 'true' }));
    await eventually(review, false);
    expect(await webhook.metrics.registry.metrics()).toContain(
      'snapshot_webhook_default_class_rule_enabled{resource="groupSnapshotClasses"} 1',
    );
  });

  it('catches up after its watch is dropped: a default created meanwhile is seen (decisions during an outage: test/reliability/fault-api-server.test.ts)', async () => {
    const review = classReview('after-drop', 'dropped.csi.example.com');
    api.dropWatches();
    api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('dropped-default', 'dropped.csi.example.com', { isDefault: 'true' }));
    await eventually(review, false);
  });

  it('relists after a 410 and sees what changed meanwhile', async () => {
    const review = classReview('after-expiry', 'expired.csi.example.com');
    api.expireWatches();
    api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('expired-default', 'expired.csi.example.com', { isDefault: 'true' }));
    await eventually(review, false);
  });
});
