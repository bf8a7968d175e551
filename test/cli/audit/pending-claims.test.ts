/**
 * audit and the stored PVCs: a restore that is Pending because it can never be provisioned is
 * reported with the webhook's message; a Pending restore that can work, and a bound one, are not.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../../src/cli/audit/audit.ts';
import type { AuditReport } from '../../../src/cli/audit/report.ts';
import { CORE_GROUP, groupsFromCrds, SNAPSHOT_GROUP } from '../../../testkit/api-groups.ts';
import { FakeApiServer } from '../../../testkit/fake-api-server.ts';
import type { JsonObject } from '../../../testkit/fake-api-store.ts';

const DRIVER = 'hostpath.csi.k8s.io';
const NAMESPACE = 'apps';
const claims = { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespace: NAMESPACE };
let api: FakeApiServer;
let kubeconfig: string;

function pendingRestore(name: string, storage: string, phase = 'Pending'): JsonObject {
  return {
    metadata: { name, namespace: NAMESPACE },
    spec: {
      storageClassName: 'fast',
      resources: { requests: { storage } },
      dataSource: { apiGroup: SNAPSHOT_GROUP, kind: 'VolumeSnapshot', name: 'db-snap' },
    },
    status: { phase },
  };
}

beforeAll(async () => {
  const snapshotGroup = groupsFromCrds('v8.6.0').find((group) => group.name === SNAPSHOT_GROUP);
  const resource = (plural: string, kind: string, namespaced: boolean) => ({ plural, singular: kind.toLowerCase(), kind, namespaced });
  api = await FakeApiServer.start({
    groups: [
      { ...CORE_GROUP, resources: [...CORE_GROUP.resources, resource('persistentvolumeclaims', 'PersistentVolumeClaim', true)] },
      { name: 'storage.k8s.io', versions: ['v1'], resources: [resource('storageclasses', 'StorageClass', false)] },
      ...(snapshotGroup === undefined ? [] : [snapshotGroup]),
    ],
  });
  api.createObject(
    { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses' },
    { metadata: { name: 'fast' }, provisioner: DRIVER },
  );
  api.createObject(
    { group: SNAPSHOT_GROUP, version: 'v1', plural: 'volumesnapshots', namespace: NAMESPACE },
    {
      metadata: { name: 'db-snap', namespace: NAMESPACE },
      spec: { source: { persistentVolumeClaimName: 'db' } },
      status: { readyToUse: true, restoreSize: '10Gi', boundVolumeSnapshotContentName: 'snapcontent-1' },
    },
  );
  api.createObject(
    { group: SNAPSHOT_GROUP, version: 'v1', plural: 'volumesnapshotcontents' },
    {
      metadata: { name: 'snapcontent-1' },
      spec: {
        driver: DRIVER,
        deletionPolicy: 'Delete',
        source: { volumeHandle: 'vol-1' },
        volumeSnapshotRef: { name: 'db-snap', namespace: NAMESPACE },
      },
    },
  );
  api.createObject(claims, pendingRestore('too-small', '5Gi'));
  api.createObject(claims, pendingRestore('big-enough', '10Gi'));
  api.createObject(claims, pendingRestore('bound-long-ago', '5Gi', 'Bound'));
  kubeconfig = await api.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'audit-claims-')), 'kubeconfig'));
});
afterAll(() => api.close());

describe('audit of stored PVCs', () => {
  it('reports the Pending restore that can never be provisioned, with the webhook message, and exits 1', async () => {
    let stdout = '';
    const code = await runAudit(['--kubeconfig', kubeconfig, '--output', 'json'], {
      stdin: Readable.from([]),
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => true },
      env: {},
      cwd: '/',
    });
    const report = JSON.parse(stdout) as AuditReport;
    const reported = report.objects.filter((object) => object.kind === 'PersistentVolumeClaim');
    expect(reported.map((object) => object.name)).toEqual(['too-small']);
    expect(reported[0]?.errors[0]?.field).toBe('spec.resources.requests.storage');
    expect(reported[0]?.errors[0]?.message).toContain('10Gi');
    expect(report.resources.find((resource) => resource.resource === 'persistentvolumeclaims')).toMatchObject({
      version: 'v1',
      objects: 3,
    });
    expect(code).toBe(1);
  });
});
