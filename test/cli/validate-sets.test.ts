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
    const previous = 'apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata: {name: db-snap, namespace: default}\nspec: {source: db-data}\n';
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
