/**
 * Rules 20–23 through the whole server: reviews of PVC restores and clones, and the objects they
 * name served by the fake API server in the real wire format (single GETs), including a read that
 * fails and one that never answers.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningWebhook } from '../src/serve.ts';
import { SNAPSHOT_CLASSES, SNAPSHOT_GROUP } from '../testkit/api-groups.ts';
import { reviewFrom } from '../testkit/captures.ts';
import { volumeSnapshotClass } from '../testkit/class-fixtures.ts';
import { http2Client, type Http2Client } from '../testkit/clients.ts';
import { FakeApiServer } from '../testkit/fake-api-server.ts';
import { RESTORE_DRIVER, RESTORE_NAMESPACE, RESTORE_RESOURCES, restoreGroups, storeRestoreSource } from '../testkit/restore-cluster.ts';
import type { JsonObject } from '../testkit/fake-api-store.ts';
import { testWebhookConfig } from './support/webhook-config.ts';

const DRIVER = RESTORE_DRIVER;
const NAMESPACE = RESTORE_NAMESPACE;
const directory = mkdtempSync(join(tmpdir(), 'snapshot-webhook-restores-'));

const STORAGE = RESTORE_RESOURCES;

let api: FakeApiServer;
let webhook: RunningWebhook;
let client: Http2Client;

beforeAll(async () => {
  api = await FakeApiServer.start({ groups: restoreGroups() });
  api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('csi-hostpath', DRIVER, { isDefault: 'true' }));
  api.createObject(STORAGE.storageClasses, { metadata: { name: 'fast' }, provisioner: DRIVER });
  api.createObject(STORAGE.storageClasses, { metadata: { name: 'ebs' }, provisioner: 'ebs.csi.aws.com' });
  storeRestoreSource(api, { snapshot: { volumeSnapshotClassName: 'csi-hostpath' }, content: { sourceVolumeMode: 'Filesystem' } });
  api.createObject(STORAGE.claims, {
    metadata: { name: 'db', namespace: NAMESPACE },
    spec: { storageClassName: 'fast', volumeName: 'pv-1', resources: { requests: { storage: '10Gi' } } },
    status: { phase: 'Bound', capacity: { storage: '10Gi' } },
  });
  api.createObject(STORAGE.volumes, { metadata: { name: 'pv-1' }, spec: { csi: { driver: DRIVER, volumeHandle: 'vol-1' } } });
  const kubeconfig = await api.writeKubeconfig(join(directory, 'kubeconfig'));
  webhook = await serve(
    testWebhookConfig({ selfSignedCaFile: join(directory, 'ca.crt'), kubeconfig, lookupTimeoutSeconds: 0.5 }),
    pino({ level: 'silent' }),
  );
  client = http2Client(`https://localhost:${webhook.admissionPort}`, readFileSync(join(directory, 'ca.crt'), 'utf8'));
});

afterAll(async () => {
  client.close();
  await webhook.shutdown();
  await api.close();
});

/** A PVC CREATE review as the API server sends it, built on a recorded review. */
function claimReview(name: string, spec: JsonObject) {
  return reviewFrom('02', (review) => {
    const request = review.request;
    request.kind = { group: '', version: 'v1', kind: 'PersistentVolumeClaim' };
    request.resource = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
    request.requestKind = request.kind;
    request.requestResource = request.resource;
    request.name = name;
    request.namespace = NAMESPACE;
    request.object = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: NAMESPACE }, spec };
  });
}

function restore(storage: string, extra: JsonObject = {}): JsonObject {
  return {
    storageClassName: 'fast',
    resources: { requests: { storage } },
    dataSource: { apiGroup: SNAPSHOT_GROUP, kind: 'VolumeSnapshot', name: 'db-snap' },
    ...extra,
  };
}

interface Response {
  readonly allowed: boolean;
  readonly warnings?: string[];
  readonly status?: { code: number; message: string; details: { causes: { field: string; message: string }[] } };
}

async function answer(review: object): Promise<Response> {
  const reply = await client.post('/validate', JSON.stringify(review));
  return (JSON.parse(reply.text) as { response: Response }).response;
}

describe('restores and clones through the server', () => {
  it('refuses a restore smaller than the snapshot, as kubectl shows field errors', async () => {
    const response = await answer(claimReview('restored', restore('5Gi')));
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(422);
    expect(response.status?.details.causes).toEqual([
      {
        field: 'spec.resources.requests.storage',
        reason: 'FieldValueInvalid',
        message: `Invalid value: "5Gi": must be at least the snapshot's restoreSize, 10Gi ("db-snap")`,
      },
    ]);
  });

  it('allows a restore that can work, without a warning', async () => {
    expect(await answer(claimReview('restored', restore('10Gi')))).toEqual({ allowed: true, uid: expect.any(String) as string });
  });

  it('refuses a restore with a StorageClass of another driver, and a clone smaller than its source', async () => {
    const wrongDriver = await answer(claimReview('restored', restore('10Gi', { storageClassName: 'ebs' })));
    expect(wrongDriver.status?.details.causes.map((cause) => cause.field)).toEqual(['spec.storageClassName']);
    const clone = await answer(
      claimReview('copy', {
        storageClassName: 'fast',
        resources: { requests: { storage: '5Gi' } },
        dataSource: { kind: 'PersistentVolumeClaim', name: 'db' },
      }),
    );
    expect(clone.status?.message).toContain('must be at least the size of the source PVC, 10Gi ("db")');
  });

  it('refuses a snapshot with a class of another driver than the PVC volume (rule 23)', async () => {
    api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('ebs-snapclass', 'ebs.csi.aws.com', {}));
    const review = reviewFrom('02', (body) => {
      body.request.namespace = NAMESPACE;
      body.request.object = {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name: 'snap', namespace: NAMESPACE },
        spec: { source: { persistentVolumeClaimName: 'db' }, volumeSnapshotClassName: 'ebs-snapclass' },
      };
    });
    const deadline = Date.now() + 10_000;
    let response = await answer(review);
    // The class reaches the cache through the watch a moment after it is created.
    while (response.allowed && Date.now() < deadline) response = await answer(review);
    expect(response.status?.message).toContain(
      `VolumeSnapshotClass "ebs-snapclass" is for driver ebs.csi.aws.com, but PVC "db" was provisioned by ${DRIVER}`,
    );
  });

  const clone = (extra: JsonObject) => ({
    storageClassName: 'fast',
    resources: { requests: { storage: '10Gi' } },
    dataSource: { kind: 'PersistentVolumeClaim', name: 'db' },
    ...extra,
  });

  it.each([
    [
      'rule 20, restore volume mode',
      restore('10Gi', { volumeMode: 'Block' }),
      restore('10Gi', { volumeMode: 'Filesystem' }),
      'spec.volumeMode',
    ],
    ['rule 20, restore driver', restore('10Gi', { storageClassName: 'ebs' }), restore('10Gi'), 'spec.storageClassName'],
    [
      'rule 21, clone size',
      clone({ resources: { requests: { storage: '9Gi' } } }),
      clone({ resources: { requests: { storage: '10Gi' } } }),
      'spec.resources.requests.storage',
    ],
    ['rule 21, clone StorageClass', clone({ storageClassName: 'ebs' }), clone({}), 'spec.storageClassName'],
    ['rule 21, clone volume mode', clone({ volumeMode: 'Block' }), clone({ volumeMode: 'Filesystem' }), 'spec.volumeMode'],
  ])('%s: one denied on its field, the other allowed', async (_rule, bad, good, field) => {
    const denied = await answer(claimReview('pvc', bad));
    expect(denied.status?.details.causes.map((cause) => cause.field)).toEqual([field]);
    expect(await answer(claimReview('pvc', good))).toMatchObject({ allowed: true });
  });

  it('allows with a warning when the snapshot does not exist', async () => {
    const response = await answer(
      claimReview('restored', restore('1Gi', { dataSource: { apiGroup: SNAPSHOT_GROUP, kind: 'VolumeSnapshot', name: 'nope' } })),
    );
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual([`VolumeSnapshot "${NAMESPACE}/nope" does not exist: the PVC stays Pending until it exists`]);
  });

  it('allows with a warning, within the lookup deadline, when the API server does not answer a read', async () => {
    const path = `/apis/${SNAPSHOT_GROUP}/v1/namespaces/${NAMESPACE}/volumesnapshots/db-snap`;
    api.stalledPaths.add(path);
    try {
      const started = Date.now();
      const response = await answer(claimReview('restored', restore('1Gi')));
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(response.allowed).toBe(true);
      expect(response.warnings).toEqual([
        `could not check VolumeSnapshot "${NAMESPACE}/db-snap" (no answer within 0.5 s): created unchecked`,
      ]);
    } finally {
      api.stalledPaths.delete(path);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${webhook.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/lookups_total\{resource="volumesnapshots",outcome="failed"\} [1-9]/);
    expect(metrics).toMatch(/lookups_total\{resource="volumesnapshots",outcome="found"\} [1-9]/);
    expect(metrics).toMatch(/lookups_total\{resource="volumesnapshots",outcome="absent"\} [1-9]/);
  });
});
