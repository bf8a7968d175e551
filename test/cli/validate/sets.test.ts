import { describe, expect, it } from 'vitest';
import { expectLinesStartingWith, validate } from './run-validate.ts';

/** Rules that look across the set: one default class per driver, and --against for updates. */
const SNAPSHOT_ANNOTATION = 'metadata.annotations[snapshot.storage.kubernetes.io/is-default-class]';
const GROUP_ANNOTATION = 'metadata.annotations[groupsnapshot.storage.kubernetes.io/is-default-class]';

describe('validate: one default class per driver across the manifests (rules 9, 18)', () => {
  it('reports each later default, naming the earlier ones, with the webhook message', async () => {
    const run = await validate(['defaults/first.yaml', 'defaults/second.yaml', 'defaults/third.yaml']);
    expect(run.problems).toEqual([
      `defaults/second.yaml:7 (document 1) VolumeSnapshotClass slow: ${SNAPSHOT_ANNOTATION}: Forbidden: ` +
        'driver "hostpath.csi.k8s.io" already has a default VolumeSnapshotClass, "fast"; only one default per ' +
        'driver is allowed (with two, snapshots that name no class fail). To make this class the default, first ' +
        'remove the annotation from "fast": kubectl annotate volumesnapshotclass fast ' +
        'snapshot.storage.kubernetes.io/is-default-class-',
      `defaults/second.yaml:26 (document 3) VolumeGroupSnapshotClass group-slow: ${GROUP_ANNOTATION}: Forbidden: ` +
        'driver "hostpath.csi.k8s.io" already has a default VolumeGroupSnapshotClass, "group-fast"; only one ' +
        'default per driver is allowed (with two, snapshots that name no class fail). To make this class the ' +
        'default, first remove the annotation from "group-fast": kubectl annotate volumegroupsnapshotclass ' +
        'group-fast groupsnapshot.storage.kubernetes.io/is-default-class-',
      `defaults/third.yaml:7 VolumeSnapshotClass archive: ${SNAPSHOT_ANNOTATION}: Forbidden: ` +
        'driver "hostpath.csi.k8s.io" already has 2 default VolumeSnapshotClasses: "fast", "slow"; only one ' +
        'default per driver is allowed (with two, snapshots that name no class fail). To make this class the ' +
        'default, first remove the annotation from "fast", "slow": kubectl annotate volumesnapshotclass fast ' +
        'snapshot.storage.kubernetes.io/is-default-class-; kubectl annotate volumesnapshotclass slow ' +
        'snapshot.storage.kubernetes.io/is-default-class-',
    ]);
    expect(run.summary).toBe('6 objects checked (6 snapshot objects, 0 other kinds ignored): 3 errors, 0 warnings');
    expect(run.code).toBe(1);
  });

  it('reports the later one in the order given: the order of the paths decides', async () => {
    const run = await validate(['defaults/second.yaml', 'defaults/first.yaml']);
    expectLinesStartingWith(run.problems, [
      `defaults/first.yaml:6 (document 1) VolumeSnapshotClass fast: ${SNAPSHOT_ANNOTATION}: Forbidden: driver "hostpath.csi.k8s.io" already has a default VolumeSnapshotClass, "slow";`,
      `defaults/first.yaml:15 (document 2) VolumeGroupSnapshotClass group-fast: ${GROUP_ANNOTATION}: Forbidden: driver "hostpath.csi.k8s.io" already has a default VolumeGroupSnapshotClass, "group-slow";`,
    ]);
  });

  it('finds no conflict in one default per driver', async () => {
    const run = await validate(['defaults/first.yaml']);
    expect(run.problems).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('ratchets with --against: defaults that were already duplicated block no edit of either', async () => {
    const run = await validate(['defaults/first.yaml', 'defaults/second.yaml', '--against', 'defaults']);
    expect(run.problems).toEqual([]);
    expect(run.code).toBe(0);
  });
});

describe('validate --against: the previous version makes an UPDATE', () => {
  it('catches changes to immutable fields (rules 2, 7, 19) and allows untouched invalid fields (ratcheting)', async () => {
    const run = await validate(['against/new', '--against', 'against/old']);
    expect(run.problems).toEqual([
      'against/new/contents.yaml:11 (document 1) VolumeSnapshotContent db-content: spec.sourceVolumeMode: ' +
        'Invalid value: "Block": field is immutable (it was "Filesystem")',
      'against/new/contents.yaml:20 (document 2) VolumeGroupSnapshotClass group-class: driver: ' +
        'Invalid value: "other.csi.k8s.io": field is immutable (it was "hostpath.csi.k8s.io")',
      // The old version is v1beta1, the new one v1: the same object (group, kind, namespace, name).
      'against/new/snapshots.yaml:10 (document 1) VolumeSnapshot default/db-snap: ' +
        'spec.source.persistentVolumeClaimName: Invalid value: "db-data-v2": field is immutable (it was "db-data")',
    ]);
    expect(run.summary).toBe('5 objects checked (5 snapshot objects, 0 other kinds ignored): 3 errors, 0 warnings');
    expect(run.code).toBe(1);
  });

  it('checks the same files as creations without --against: the legacy empty class name is an error then', async () => {
    const run = await validate(['against/new']);
    expect(run.problems).toEqual([
      'against/new/snapshots.yaml:20 (document 2) VolumeSnapshot default/legacy: spec.volumeSnapshotClassName: ' +
        'Invalid value: "": must not be empty',
    ]);
    expect(run.code).toBe(1);
  });

  it('takes comma-separated paths, and --prevent-volume-mode-conversion=false as the webhook flag', async () => {
    const run = await validate([
      'against/new',
      '--against=against/old/snapshots.yaml,against/old/contents.yaml',
      '--prevent-volume-mode-conversion=false',
    ]);
    expectLinesStartingWith(run.problems, [
      'against/new/contents.yaml:20 (document 2) VolumeGroupSnapshotClass group-class: driver: Invalid value:',
      'against/new/snapshots.yaml:10 (document 1) VolumeSnapshot default/db-snap: spec.source.persistentVolumeClaimName: Invalid value:',
    ]);
  });

  it('reports the operation of each object in the JSON report', async () => {
    const run = await validate(['against/new/snapshots.yaml', '--against', 'against/old', '-o', 'json']);
    const report = JSON.parse(run.stdout) as { objects: { name: string; operation: string }[] };
    expect(report.objects.map(({ name, operation }) => `${name} ${operation}`)).toEqual([
      'db-snap UPDATE',
      'legacy UPDATE',
      'fresh CREATE',
    ]);
  });

  it('checks an object as new, with a warning, when its previous version could not have been stored', async () => {
    const previous =
      'apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata: {name: db-snap, namespace: default}\nspec: {source: db-data}\n';
    const run = await validate(['against/new/snapshots.yaml', '--against', '-'], { stdin: previous });
    expect(run.problems).toEqual([
      'against/new/snapshots.yaml:3 (document 1) VolumeSnapshot default/db-snap: warning: the previous version ' +
        '(<stdin>:1) does not match the VolumeSnapshot schema (spec.source: Invalid value: "db-data": must be of ' +
        'type object or null): checked as a new object',
      'against/new/snapshots.yaml:20 (document 2) VolumeSnapshot default/legacy: spec.volumeSnapshotClassName: ' +
        'Invalid value: "": must not be empty',
    ]);
    expect(run.code).toBe(1);
  });
});

describe('validate --against: every immutability rule of the spec, with a good and a bad change of each', () => {
  it('allows what may change: deletionPolicy, labels, finalizers, and fields that were unset or equal in meaning', async () => {
    const run = await validate(['updates/good', '--against', 'updates/old', '-o', 'json']);
    const report = JSON.parse(run.stdout) as { objects: { name: string; operation: string; errors: unknown[] }[] };
    // Each good object is an UPDATE of its old version, not a creation that would pass anyway.
    expect(report.objects.map(({ name, operation, errors }) => `${name} ${operation} ${errors.length}`)).toEqual([
      'group-class UPDATE 0',
      'dynamic-group-content UPDATE 0',
      'imported-group-content UPDATE 0',
      'by-selector UPDATE 0',
      'by-content UPDATE 0',
      'by-labels UPDATE 0',
      'dynamic-content UPDATE 0',
      'imported-content UPDATE 0',
      'db-snap UPDATE 0',
    ]);
    expect(run.code).toBe(0);
  });

  it('rule 2: a snapshot source switched from a PVC to a content', async () => {
    const run = await validate(['updates/bad/snapshots.yaml', '--against', 'updates/old']);
    expect(run.problems).toEqual([
      'updates/bad/snapshots.yaml:9 VolumeSnapshot default/db-snap: spec.source.persistentVolumeClaimName: ' +
        'Forbidden: field is immutable: it was "db-data" and cannot be removed',
      'updates/bad/snapshots.yaml:10 VolumeSnapshot default/db-snap: spec.source.volumeSnapshotContentName: ' +
        'Forbidden: field is immutable: it cannot be set after creation',
    ]);
    expect(run.code).toBe(1);
  });

  it('rules 6 and 7: a content handle changed, a handle swapped for the other, sourceVolumeMode removed', async () => {
    const run = await validate(['updates/bad/snapshot-contents.yaml', '--against', 'updates/old']);
    expect(run.problems).toEqual([
      'updates/bad/snapshot-contents.yaml:6 (document 1) VolumeSnapshotContent dynamic-content: spec.sourceVolumeMode: ' +
        'Forbidden: field is immutable: it was "Filesystem" and cannot be removed',
      'updates/bad/snapshot-contents.yaml:10 (document 1) VolumeSnapshotContent dynamic-content: spec.source.volumeHandle: ' +
        'Invalid value: "vol-2": field is immutable (it was "vol-1")',
      'updates/bad/snapshot-contents.yaml:22 (document 2) VolumeSnapshotContent imported-content: ' +
        'spec.source.snapshotHandle: Forbidden: field is immutable: it was "snap-1" and cannot be removed',
      'updates/bad/snapshot-contents.yaml:23 (document 2) VolumeSnapshotContent imported-content: ' +
        'spec.source.volumeHandle: Forbidden: field is immutable: it cannot be set after creation',
    ]);
    expect(run.code).toBe(1);
  });

  it('rule 12: a selector changed (values keep their order), a content renamed, a selector swapped for a content', async () => {
    const run = await validate(['updates/bad/group-snapshots.yaml', '--against', 'updates/old']);
    expect(run.problems).toEqual([
      'updates/bad/group-snapshots.yaml:10 (document 1) VolumeGroupSnapshot shop/by-selector: spec.source.selector: ' +
        'Invalid value: {"matchExpressions":[{"key":"tier","operator":"In","values":["cache","db"]},{"key":"scratch",' +
        '"operat... (121 characters): field is immutable (it was {"matchLabels":{},"matchExpressions":[{"key":"tier",' +
        '"operator":"In","values":["db","cache"]},{"key":... (138 characters))',
      'updates/bad/group-snapshots.yaml:25 (document 2) VolumeGroupSnapshot shop/by-content: ' +
        'spec.source.volumeGroupSnapshotContentName: Invalid value: "other-group-content": field is immutable ' +
        '(it was "imported-group-content")',
      'updates/bad/group-snapshots.yaml:33 (document 3) VolumeGroupSnapshot shop/by-labels: spec.source.selector: ' +
        'Forbidden: field is immutable: it was {"matchLabels":{"app":"shop"}} and cannot be removed',
      'updates/bad/group-snapshots.yaml:34 (document 3) VolumeGroupSnapshot shop/by-labels: ' +
        'spec.source.volumeGroupSnapshotContentName: Forbidden: field is immutable: it cannot be set after creation',
    ]);
    expect(run.code).toBe(1);
  });

  it("rule 16: handles, driver, class name, and the reference's name, namespace and uid of a group content", async () => {
    const run = await validate(['updates/bad/group-snapshot-contents.yaml', '--against', 'updates/old']);
    const where = 'updates/bad/group-snapshot-contents.yaml';
    expect(run.problems).toEqual([
      `${where}:9 (document 1) VolumeGroupSnapshotContent dynamic-group-content: spec.driver: ` +
        'Invalid value: "other.csi.k8s.io": field is immutable (it was "hostpath.csi.k8s.io")',
      `${where}:10 (document 1) VolumeGroupSnapshotContent dynamic-group-content: spec.volumeGroupSnapshotClassName: ` +
        'Invalid value: "other-groupsnapclass": field is immutable (it was "csi-hostpath-groupsnapclass")',
      `${where}:12 (document 1) VolumeGroupSnapshotContent dynamic-group-content: spec.source.volumeHandles: ` +
        'Invalid value: ["vol-1","vol-3"]: field is immutable (it was ["vol-1","vol-2"])',
      `${where}:14 (document 1) VolumeGroupSnapshotContent dynamic-group-content: spec.volumeGroupSnapshotRef.name: ` +
        'Invalid value: "other-group": field is immutable (it was "app-group")',
      `${where}:15 (document 1) VolumeGroupSnapshotContent dynamic-group-content: spec.volumeGroupSnapshotRef.namespace: ` +
        'Invalid value: "other": field is immutable (it was "shop")',
      `${where}:16 (document 1) VolumeGroupSnapshotContent dynamic-group-content: spec.volumeGroupSnapshotRef.uid: ` +
        'Invalid value: "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d": field is immutable (it was "4b1c7e2a-0d4e-4f7a-9a53-1f0c2b9d8e71")',
      `${where}:26 (document 2) VolumeGroupSnapshotContent imported-group-content: spec.source.groupSnapshotHandles: ` +
        'Invalid value: {"volumeGroupSnapshotHandle":"group-7f3c","volumeSnapshotHandles":["snap-1"]}: field is ' +
        'immutable (it was {"volumeGroupSnapshotHandle":"group-7f3c","volumeSnapshotHandles":["snap-1","snap-2"]})',
    ]);
    expect(run.code).toBe(1);
  });

  it("rule 19: a group class's deletionPolicy and parameters", async () => {
    const run = await validate(['updates/bad/classes.yaml', '--against', 'updates/old']);
    expect(run.problems).toEqual([
      'updates/bad/classes.yaml:7 VolumeGroupSnapshotClass group-class: deletionPolicy: Invalid value: "Retain": ' +
        'field is immutable (it was "Delete")',
      'updates/bad/classes.yaml:8 VolumeGroupSnapshotClass group-class: parameters: Invalid value: {"tier":"fast"}: ' +
        'field is immutable (it was {})',
    ]);
    expect(run.code).toBe(1);
  });

  it('finds nothing wrong in the bad changes without --against: each is a valid object on its own', async () => {
    const run = await validate(['updates/bad']);
    expect(run.problems).toEqual([]);
    expect(run.code).toBe(0);
  });
});
