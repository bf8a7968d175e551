import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../../src/rules/cluster-objects.ts';
import type { KubeObject, RuleRequest } from '../../src/rules/types.ts';
import { claim, objectsFor, SNAPSHOT_DRIVER, storedClaim, volume, type StoredObject } from '../support/cluster-objects.ts';
import { contextOf, errorLines, rulesOf, warningLines } from '../support/rules.ts';

const VS = { group: 'snapshot.storage.k8s.io', version: 'v1', resource: 'volumesnapshots' };
const decide = rulesOf(VS.group, VS.version, VS.resource);
const CLASSES = {
  snapshotClasses: [
    { name: 'csi-hostpath', driver: SNAPSHOT_DRIVER, defaultValue: 'true' },
    { name: 'ebs', driver: 'ebs.csi.aws.com' },
  ],
};

function snapshotOf(className: string): KubeObject {
  return {
    metadata: { name: 'db-snap', namespace: 'apps' },
    spec: { source: { persistentVolumeClaimName: 'db' }, volumeSnapshotClassName: className },
  };
}

const BOUND = storedClaim(claim('db', { volumeName: 'pv-1', storageClassName: 'fast' }, { phase: 'Bound' }));
const CLUSTER: readonly StoredObject[] = [BOUND, volume('pv-1', SNAPSHOT_DRIVER)];

function run(object: KubeObject, stored: readonly StoredObject[] = CLUSTER, unreadable: readonly ObjectRef[] = []) {
  const request: RuleRequest = { operation: 'CREATE', object, oldObject: null, namespace: 'apps' };
  return decide(request, { ...contextOf(CLASSES), objects: objectsFor(VS, request, stored, unreadable) });
}

describe('rule 23: a VolumeSnapshot of a PVC', () => {
  it('allows a class of the driver that provisioned the PVC, without a word', () => {
    const verdict = run(snapshotOf('csi-hostpath'));
    expect([...errorLines(verdict), ...warningLines(verdict)]).toEqual([]);
  });

  it('denies a class of another driver, naming both drivers', () => {
    expect(errorLines(run(snapshotOf('ebs')))).toEqual([
      `spec.volumeSnapshotClassName: Invalid value: "ebs": VolumeSnapshotClass "ebs" is for driver ebs.csi.aws.com, but PVC "db" was provisioned by ${SNAPSHOT_DRIVER}: ` +
        `use a VolumeSnapshotClass of ${SNAPSHOT_DRIVER}`,
    ]);
  });

  it('warns when the PVC does not exist or is not bound', () => {
    expect(warningLines(run(snapshotOf('ebs'), []))).toEqual([
      'PersistentVolumeClaim "apps/db" does not exist: the snapshot waits until it exists',
    ]);
    const pending = storedClaim(claim('db', { storageClassName: 'fast' }, { phase: 'Pending' }));
    const verdict = run(snapshotOf('ebs'), [pending]);
    expect(errorLines(verdict)).toEqual([]);
    expect(warningLines(verdict)).toEqual(['PersistentVolumeClaim "db" is not bound (phase Pending): the snapshot is taken once it is']);
  });

  it('warns, and does not deny, when the PersistentVolume cannot be read', () => {
    const verdict = run(snapshotOf('ebs'), CLUSTER, [{ resource: 'persistentvolumes', name: 'pv-1' }]);
    expect(errorLines(verdict)).toEqual([]);
    expect(warningLines(verdict)).toEqual(['could not check PersistentVolume "pv-1" (GET answered 403: forbidden): created unchecked']);
  });

  it('reads nothing for a pre-provisioned snapshot or an UPDATE', () => {
    const preProvisioned = { metadata: { name: 's', namespace: 'apps' }, spec: { source: { volumeSnapshotContentName: 'c' } } };
    expect(run(preProvisioned)).toEqual({ violations: [], warnings: [] });
    const object = snapshotOf('ebs');
    const request: RuleRequest = { operation: 'UPDATE', object, oldObject: object, namespace: 'apps' };
    expect(objectsFor(VS, request, CLUSTER).has(BOUND.ref)).toBe(false);
  });
});
