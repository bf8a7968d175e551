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
import { SNAPSHOT_GROUP } from '../../../testkit/api-groups.ts';
import type { FakeApiServer } from '../../../testkit/fake-api-server.ts';
import { CLAIMS, RESTORE_NAMESPACE as NAMESPACE, startRestoreCluster } from '../../../testkit/restore-cluster.ts';
import type { JsonObject } from '../../../testkit/fake-api-store.ts';

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
  api = await startRestoreCluster();
  api.createObject(CLAIMS, pendingRestore('too-small', '5Gi'));
  api.createObject(CLAIMS, pendingRestore('big-enough', '10Gi'));
  api.createObject(CLAIMS, pendingRestore('bound-long-ago', '5Gi', 'Bound'));
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
