/** validate --kubeconfig: a restore in the files is checked against the snapshot the cluster holds. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runValidate } from '../../../src/cli/validate/validate.ts';
import type { FakeApiServer } from '../../../testkit/fake-api-server.ts';
import { RESTORE_NAMESPACE, startRestoreCluster } from '../../../testkit/restore-cluster.ts';

const directory = mkdtempSync(join(tmpdir(), 'validate-restores-'));
let api: FakeApiServer;
let kubeconfig: string;

beforeAll(async () => {
  api = await startRestoreCluster();
  kubeconfig = await api.writeKubeconfig(join(directory, 'kubeconfig'));
  writeFileSync(
    join(directory, 'restore.yaml'),
    `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: restored, namespace: ${RESTORE_NAMESPACE}}
spec:
  storageClassName: fast
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 5Gi}}
  dataSource: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: db-snap}
`,
  );
});
afterAll(() => api.close());

async function validate(args: readonly string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await runValidate(args, {
    stdin: Readable.from([]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: () => true },
    env: {},
    cwd: directory,
  });
  return { code, stdout };
}

describe('validate --kubeconfig and restores', () => {
  it('refuses a restore smaller than the cluster snapshot it names; without the cluster it cannot know', async () => {
    const withCluster = await validate(['restore.yaml', '--kubeconfig', kubeconfig]);
    expect(withCluster.stdout).toMatch(
      /PersistentVolumeClaim apps\/restored: spec\.resources\.requests\.storage: Invalid value: "5Gi": .*10Gi/,
    );
    expect(withCluster.code).toBe(1);
    const gets = api.requests.filter((request) => request.method === 'GET' && request.path.includes('/volumesnapshots/db-snap'));
    expect(gets).toHaveLength(1);
    const alone = await validate(['restore.yaml']);
    expect(alone.code).toBe(0);
  });
});
