import { describe, expect, it } from 'vitest';
import type { KubeObject, RuleRequest } from '../../src/rules/types.ts';
import {
  claim,
  content,
  objectsFor,
  SNAPSHOT_DRIVER,
  snapshot,
  snapshotClass,
  storageClass,
  storedClaim,
  type StoredObject,
} from '../support/cluster-objects.ts';
import { contextOf, errorLines, rulesOf, warningLines } from '../support/rules.ts';
import type { ObjectRef } from '../../src/rules/cluster-objects.ts';

const PVC = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const decide = rulesOf(PVC.group, PVC.version, PVC.resource);

function restoreOf(spec: KubeObject = {}, source: KubeObject = { name: 'db-snap' }): KubeObject {
  return claim('restored', {
    storageClassName: 'fast',
    resources: { requests: { storage: '10Gi' } },
    dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', ...source },
    ...spec,
  });
}

function cloneOf(spec: KubeObject = {}): KubeObject {
  return claim('copy', {
    storageClassName: 'fast',
    resources: { requests: { storage: '10Gi' } },
    dataSource: { kind: 'PersistentVolumeClaim', name: 'db' },
    ...spec,
  });
}

const READY = snapshot('db-snap', { readyToUse: true, restoreSize: '10Gi', boundVolumeSnapshotContentName: 'snapcontent-1' });
const CLUSTER: readonly StoredObject[] = [
  READY,
  content('snapcontent-1', { sourceVolumeMode: 'Filesystem' }),
  snapshotClass('csi-hostpath', SNAPSHOT_DRIVER),
  storageClass('fast', SNAPSHOT_DRIVER),
  storageClass('other', 'ebs.csi.aws.com'),
];

function run(object: KubeObject, stored: readonly StoredObject[] = CLUSTER, unreadable: readonly ObjectRef[] = []) {
  const request: RuleRequest = { operation: 'CREATE', object, oldObject: null, namespace: 'apps' };
  return decide(request, { ...contextOf(), objects: objectsFor(PVC, request, stored, unreadable) });
}

describe('rule 20: restores', () => {
  it('allows a restore that asks for the restoreSize or more, with the snapshot driver, without a word', () => {
    for (const storage of ['10Gi', '10737418240', '11Gi', '1Ti']) {
      const verdict = run(restoreOf({ resources: { requests: { storage } } }));
      expect([...errorLines(verdict), ...warningLines(verdict)]).toEqual([]);
    }
  });

  it('denies less storage than the restoreSize, naming both sizes and the snapshot', () => {
    expect(errorLines(run(restoreOf({ resources: { requests: { storage: '5Gi' } } })))).toEqual([
      `spec.resources.requests.storage: Invalid value: "5Gi": must be at least the snapshot's restoreSize, 10Gi ("db-snap")`,
    ]);
    expect(errorLines(run(restoreOf({ resources: { requests: { storage: '10G' } } })))).toHaveLength(1);
  });

  it('denies a StorageClass of another driver than the one that took the snapshot', () => {
    expect(errorLines(run(restoreOf({ storageClassName: 'other' })))).toEqual([
      'spec.storageClassName: Invalid value: "other": StorageClass "other" provisions with ebs.csi.aws.com, ' +
        `but snapshot "db-snap" was taken by ${SNAPSHOT_DRIVER}: restore it with a StorageClass of ${SNAPSHOT_DRIVER}`,
    ]);
  });

  it('takes the driver from the class when the snapshot is not bound to a content yet', () => {
    const unbound = snapshot('db-snap', { readyToUse: false, restoreSize: '10Gi' });
    const cluster = [unbound, ...CLUSTER.slice(1)];
    expect(errorLines(run(restoreOf({ storageClassName: 'other' }), cluster))).toHaveLength(1);
    expect(errorLines(run(restoreOf(), cluster))).toEqual([]);
  });

  it('denies another volumeMode than the content was taken in, unless the content allows a change', () => {
    expect(errorLines(run(restoreOf({ volumeMode: 'Block' })))).toEqual([
      'spec.volumeMode: Invalid value: "Block": must be Filesystem, the volume mode snapshot "db-snap" was taken in ' +
        '(its VolumeSnapshotContent does not allow a change: annotation snapshot.storage.kubernetes.io/allow-volume-mode-change)',
    ]);
    const allowing = content(
      'snapcontent-1',
      { sourceVolumeMode: 'Filesystem' },
      { 'snapshot.storage.kubernetes.io/allow-volume-mode-change': 'true' },
    );
    expect(errorLines(run(restoreOf({ volumeMode: 'Block' }), [READY, allowing, ...CLUSTER.slice(2)]))).toEqual([]);
  });

  it('reads the source from dataSourceRef first, in its own namespace when it names one', () => {
    const elsewhere = snapshot('db-snap', { readyToUse: true, restoreSize: '10Gi' });
    const moved: StoredObject = { ref: { ...elsewhere.ref, namespace: 'backups' }, object: elsewhere.object };
    const object = restoreOf({
      resources: { requests: { storage: '1Gi' } },
      dataSourceRef: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'db-snap', namespace: 'backups' },
    });
    expect(errorLines(run(object, [moved, ...CLUSTER.slice(1)]))).toHaveLength(1);
  });

  it('leaves other data sources (volume populators) alone', () => {
    const populated = restoreOf({}, { apiGroup: 'populator.example.com', kind: 'Backup', name: 'x' });
    expect(run(populated, [])).toEqual({ violations: [], warnings: [] });
  });
});

describe('rule 21: clones', () => {
  const SOURCE = storedClaim(
    claim('db', { storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } }, { capacity: { storage: '20Gi' } }),
  );

  it('allows a clone at least the size of its source, in its StorageClass and volume mode', () => {
    expect(errorLines(run(cloneOf({ resources: { requests: { storage: '20Gi' } } }), [SOURCE]))).toEqual([]);
  });

  it('denies a clone smaller than the source capacity, in another StorageClass or volume mode, all at once', () => {
    expect(errorLines(run(cloneOf({ storageClassName: 'other', volumeMode: 'Block' }), [SOURCE]))).toEqual([
      'spec.resources.requests.storage: Invalid value: "10Gi": must be at least the size of the source PVC, 20Gi ("db")',
      `spec.storageClassName: Invalid value: "other": must be "fast", the StorageClass of the source PVC ("db"): a clone is made by its source's driver`,
      'spec.volumeMode: Invalid value: "Block": must be Filesystem, the volume mode of the source PVC ("db")',
    ]);
  });

  it('compares with the source request when it has no capacity yet', () => {
    const pending = storedClaim(claim('db', { storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } }));
    expect(errorLines(run(cloneOf(), [pending]))).toEqual([]);
    expect(errorLines(run(cloneOf({ resources: { requests: { storage: '9Gi' } } }), [pending]))).toHaveLength(1);
  });
});

describe('rule 22: warnings, never denials', () => {
  it('warns when the source does not exist', () => {
    const verdict = run(restoreOf(), []);
    expect(errorLines(verdict)).toEqual([]);
    expect(warningLines(verdict)).toContain('VolumeSnapshot "apps/db-snap" does not exist: the PVC stays Pending until it exists');
    expect(warningLines(run(cloneOf(), []))).toEqual([
      'PersistentVolumeClaim "apps/db" does not exist: the PVC stays Pending until it exists',
    ]);
  });

  it('warns when the snapshot is not ready or is being deleted, and when the StorageClass is missing', () => {
    const notReady = snapshot('db-snap', { readyToUse: false, restoreSize: '10Gi', boundVolumeSnapshotContentName: 'snapcontent-1' });
    expect(warningLines(run(restoreOf(), [notReady, ...CLUSTER.slice(1)]))).toEqual([
      'VolumeSnapshot "db-snap" is not ready to use yet: the PVC stays Pending until it is',
    ]);
    const deleting: StoredObject = {
      ref: READY.ref,
      object: { ...READY.object, metadata: { name: 'db-snap', deletionTimestamp: '2026-12-03T10:00:00Z' } },
    };
    expect(warningLines(run(restoreOf(), [deleting, ...CLUSTER.slice(1)]))).toEqual([
      'VolumeSnapshot "db-snap" is being deleted: the PVC may never be restored',
    ]);
    expect(warningLines(run(restoreOf({ storageClassName: 'missing' })))).toEqual([
      'StorageClass "missing" does not exist: the PVC stays Pending until it exists',
    ]);
  });

  it('allows with a warning when a lookup fails, and checks nothing that needed it', () => {
    const verdict = run(restoreOf({ resources: { requests: { storage: '1Gi' } } }), CLUSTER, [READY.ref]);
    expect(errorLines(verdict)).toEqual([]);
    expect(warningLines(verdict)).toEqual([
      'could not check VolumeSnapshot "apps/db-snap" (GET answered 403: forbidden): created unchecked',
    ]);
  });

  it('checks nothing without a cluster to read, and nothing on UPDATE', () => {
    const request: RuleRequest = {
      operation: 'CREATE',
      object: restoreOf({ resources: { requests: { storage: '1Gi' } } }),
      oldObject: null,
      namespace: 'apps',
    };
    expect(decide(request, contextOf())).toEqual({ violations: [], warnings: [] });
    const object = restoreOf({ resources: { requests: { storage: '1Gi' } } });
    const updateRequest: RuleRequest = { operation: 'UPDATE', object, oldObject: object, namespace: 'apps' };
    expect(decide(updateRequest, { ...contextOf(), objects: objectsFor(PVC, updateRequest, CLUSTER) })).toEqual({
      violations: [],
      warnings: [],
    });
  });
});
