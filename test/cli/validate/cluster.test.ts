import { afterEach, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../../support/temporary-directory.ts';
import {
  GROUP_SNAPSHOT_GROUP,
  groupFromCrds,
  groupsFromCrds,
  groupSnapshotClasses,
  SNAPSHOT_CLASSES,
  SNAPSHOT_GROUP,
} from '../../../testkit/api-groups.ts';
import { FakeApiServer } from '../../../testkit/fake-api-server.ts';
import type { GroupDefinition, JsonObject } from '../../../testkit/fake-api-server.ts';
import { expectLinesStartingWith, validate } from './run-validate.ts';

/** --kubeconfig: the manifests against the classes of a cluster (a fake kube-apiserver over HTTPS). */
const SNAPSHOT_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';
const GROUP_ANNOTATION = 'groupsnapshot.storage.kubernetes.io/is-default-class';

function snapshotClass(name: string, driver: string, isDefault = false): JsonObject {
  const annotations = isDefault ? { [SNAPSHOT_ANNOTATION]: 'true' } : {};
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClass',
    metadata: { name, annotations },
    driver,
    deletionPolicy: 'Delete',
  };
}

function groupSnapshotClass(version: string, name: string, driver: string): JsonObject {
  return {
    apiVersion: `groupsnapshot.storage.k8s.io/${version}`,
    kind: 'VolumeGroupSnapshotClass',
    metadata: { name, annotations: { [GROUP_ANNOTATION]: 'true' } },
    driver,
    deletionPolicy: 'Delete',
  };
}

const inDirectory = temporaryDirectory('validate-cluster-');
let server: FakeApiServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A cluster with the given CRDs, holding the classes cluster/classes.yaml is written against. */
async function clusterWith(groups: readonly GroupDefinition[], groupVersion: string | null): Promise<string> {
  server = await FakeApiServer.start({ groups });
  server.createObject(SNAPSHOT_CLASSES, snapshotClass('csi-hostpath-snapclass', 'hostpath.csi.k8s.io', true));
  server.createObject(SNAPSHOT_CLASSES, snapshotClass('retired', 'other.csi.k8s.io', true));
  server.createObject(SNAPSHOT_CLASSES, snapshotClass('cluster-only', 'hostpath.csi.k8s.io'));
  if (groupVersion !== null) {
    server.createObject(
      groupSnapshotClasses(groupVersion),
      groupSnapshotClass(groupVersion, 'csi-hostpath-groupsnapclass', 'hostpath.csi.k8s.io'),
    );
  }
  return server.writeKubeconfig(inDirectory(`kubeconfig-${server.port}`));
}

const FAST_CONFLICT =
  'cluster/classes.yaml:21 (document 2) VolumeSnapshotClass fast: ' +
  `metadata.annotations[${SNAPSHOT_ANNOTATION}]: Forbidden: driver "hostpath.csi.k8s.io" already has a default ` +
  'VolumeSnapshotClass, "csi-hostpath-snapclass"; only one default per driver is allowed';
const GROUP_CONFLICT =
  'cluster/classes.yaml:48 (document 5) VolumeGroupSnapshotClass group-fast: ' +
  `metadata.annotations[${GROUP_ANNOTATION}]: Forbidden: driver "hostpath.csi.k8s.io" already has a default ` +
  'VolumeGroupSnapshotClass, "csi-hostpath-groupsnapclass"; only one default per driver is allowed';
const NOWHERE_WARNING =
  'cluster/classes.yaml:64 (document 7) VolumeSnapshot default/nowhere: warning: ' +
  'VolumeSnapshotClass "nowhere-snapclass" does not exist: the snapshot stays Pending until it is created';

// The snapshots' PVC is neither in the files nor in the cluster: read with one GET, found absent.
const MISSING_CLAIM = (line: string) =>
  `cluster/classes.yaml:${line} VolumeSnapshot default/${line.startsWith('53') ? 'in-cluster' : 'nowhere'}: warning: ` +
  'PersistentVolumeClaim "default/db-data" does not exist: the snapshot waits until it exists';

const EVERY_PROBLEM = [FAST_CONFLICT, GROUP_CONFLICT, MISSING_CLAIM('53 (document 6)'), NOWHERE_WARNING, MISSING_CLAIM('64 (document 7)')];

describe('validate --kubeconfig', () => {
  it('checks the manifests against the cluster classes, which manifest classes of the same name replace', async () => {
    const kubeconfig = await clusterWith(groupsFromCrds('v8.6.0'), 'v1');
    const run = await validate(['cluster/classes.yaml', '--kubeconfig', kubeconfig]);
    expectLinesStartingWith(run.problems, EVERY_PROBLEM);
    expect(run.summary).toBe('7 objects checked (7 snapshot objects, 0 other kinds ignored): 2 errors, 3 warnings');
    expect(run).toMatchObject({ stderr: '', code: 1 });
    // One LIST per class resource, at the newest version served.
    expect(server?.requestsTo('/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses')).toHaveLength(1);
    expect(server?.requestsTo('/apis/groupsnapshot.storage.k8s.io/v1/volumegroupsnapshotclasses')).toHaveLength(1);
  });

  it('checks a class the cluster already has as an UPDATE of it', async () => {
    const kubeconfig = await clusterWith(groupsFromCrds('v8.6.0'), 'v1');
    const run = await validate(['cluster/classes.yaml', '--kubeconfig', kubeconfig, '-o', 'json']);
    const report = JSON.parse(run.stdout) as { objects: { name: string; operation: string }[] };
    expect(report.objects.map(({ name, operation }) => `${name} ${operation}`)).toEqual([
      'csi-hostpath-snapclass UPDATE',
      'fast CREATE',
      'retired UPDATE',
      'other-default CREATE',
      'group-fast CREATE',
      'in-cluster CREATE',
      'nowhere CREATE',
    ]);
  });

  it('lists group snapshot classes at v1alpha1 from the v7 CRDs', async () => {
    const kubeconfig = await clusterWith(groupsFromCrds('v7.0.2'), 'v1alpha1');
    const run = await validate(['cluster/classes.yaml', '--kubeconfig', kubeconfig]);
    expectLinesStartingWith(run.problems, EVERY_PROBLEM);
    expect(server?.requestsTo('/apis/groupsnapshot.storage.k8s.io/v1alpha1/volumegroupsnapshotclasses')).toHaveLength(1);
  });

  it('takes a group whose CRDs are not installed as one without classes', async () => {
    const kubeconfig = await clusterWith([groupFromCrds('v8.6.0', SNAPSHOT_GROUP)], null);
    const run = await validate(['cluster/classes.yaml', '--kubeconfig', kubeconfig]);
    expectLinesStartingWith(run.problems, [
      FAST_CONFLICT,
      MISSING_CLAIM('53 (document 6)'),
      NOWHERE_WARNING,
      MISSING_CLAIM('64 (document 7)'),
    ]);
    expect(server?.requestsTo(`/apis/${GROUP_SNAPSHOT_GROUP}`)).toHaveLength(1);
  });

  it('reads every page of a long LIST', async () => {
    server = await FakeApiServer.start({ groups: [groupFromCrds('v8.6.0', SNAPSHOT_GROUP)] });
    for (let index = 0; index < 600; index += 1) {
      server.createObject(SNAPSHOT_CLASSES, snapshotClass(`class-${String(index).padStart(3, '0')}`, 'hostpath.csi.k8s.io'));
    }
    // Sorted last by name, so it comes on the second page.
    server.createObject(SNAPSHOT_CLASSES, snapshotClass('zz-default', 'hostpath.csi.k8s.io', true));
    const kubeconfig = await server.writeKubeconfig(inDirectory('kubeconfig-pages'));
    const run = await validate(['defaults/first.yaml', '--kubeconfig', kubeconfig]);
    expectLinesStartingWith(run.problems, [
      `defaults/first.yaml:6 (document 1) VolumeSnapshotClass fast: metadata.annotations[${SNAPSHOT_ANNOTATION}]: Forbidden: driver "hostpath.csi.k8s.io" already has a default VolumeSnapshotClass, "zz-default";`,
    ]);
    const lists = server.requestsTo('/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses');
    expect(lists.map((request) => request.query.continue !== undefined)).toEqual([false, true]);
  });

  it('exits 2 naming the server when the cluster cannot be reached, and checks nothing', async () => {
    const kubeconfig = await clusterWith(groupsFromCrds('v8.6.0'), 'v1');
    const url = server?.url ?? '';
    await server?.setUnreachable(true);
    const run = await validate(['cluster/classes.yaml', '--kubeconfig', kubeconfig]);
    expect(run.stderr).toMatch(new RegExp(`^snapshot-webhook validate: cannot list the snapshot classes of ${url}: .+\\n$`));
    expect(run).toMatchObject({ stdout: '', code: 2 });
  });

  it('exits 2 naming a kubeconfig that cannot be loaded', async () => {
    const missing = inDirectory('no-such-kubeconfig');
    const run = await validate(['cluster/classes.yaml', '--kubeconfig', missing]);
    expect(run.stderr).toMatch(new RegExp(`^snapshot-webhook validate: invalid configuration: cannot load kubeconfig ${missing}: `));
    expect(run.code).toBe(2);
  });
});
