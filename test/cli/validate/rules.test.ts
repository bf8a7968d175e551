import { describe, expect, it } from 'vitest';
import { expectLinesStartingWith, validate } from './run-validate.ts';

/**
 * Every rule of the spec that applies to one object on CREATE, through manifest files: a good
 * set that passes, and a bad file per rule whose output names file, line, object and field.
 */
describe('validate: the CREATE rules on manifests', () => {
  it('passes a directory of valid objects of every kind and version (exit 0)', async () => {
    const run = await validate(['good']);
    expect(run.stderr).toBe('');
    expect(run.problems).toEqual([]);
    expect(run.summary).toBe('10 objects checked (8 snapshot objects, 2 other kinds ignored): 0 errors, 0 warnings');
    expect(run.code).toBe(0);
  });

  const cases: readonly { rule: string; file: string; code: number; lines: readonly string[] }[] = [
    {
      rule: '1: VolumeSnapshot source, both, neither, absent',
      file: 'bad/volume-snapshot-source.yaml',
      code: 1,
      lines: [
        'bad/volume-snapshot-source.yaml:8 (document 1) VolumeSnapshot default/both: spec.source: Invalid value: {"persistentVolumeClaimName":"db-data","volumeSnapshotContentName":"imported-content"}: exactly one of persistentVolumeClaimName and volumeSnapshotContentName must be set',
        'bad/volume-snapshot-source.yaml:18 (document 2) VolumeSnapshot default/neither: spec.source: Invalid value: {}: exactly one of',
        'bad/volume-snapshot-source.yaml:25 (document 3) VolumeSnapshot default/no-source: spec.source: Required value: exactly one of',
      ],
    },
    {
      rule: '3: VolumeSnapshot class name (and source names)',
      file: 'bad/volume-snapshot-class-name.yaml',
      code: 1,
      lines: [
        'bad/volume-snapshot-class-name.yaml:8 (document 1) VolumeSnapshot default/empty-class: spec.volumeSnapshotClassName: Invalid value: "": must not be empty',
        'bad/volume-snapshot-class-name.yaml:18 (document 2) VolumeSnapshot default/bad-names: spec.volumeSnapshotClassName: Invalid value: "Fast_Class": must be a lowercase RFC 1123 subdomain',
        'bad/volume-snapshot-class-name.yaml:20 (document 2) VolumeSnapshot default/bad-names: spec.source.persistentVolumeClaimName: Invalid value: "db.data.": must be a lowercase RFC 1123 subdomain',
      ],
    },
    {
      rule: '5: VolumeSnapshotContent source',
      file: 'bad/volume-snapshot-content-source.yaml',
      code: 1,
      lines: [
        'bad/volume-snapshot-content-source.yaml:9 VolumeSnapshotContent both-handles: spec.source: Invalid value: {"volumeHandle":"vol-1","snapshotHandle":"snap-1"}: exactly one of volumeHandle and snapshotHandle must be set',
      ],
    },
    {
      rule: '8: VolumeSnapshotContent volumeSnapshotRef',
      file: 'bad/volume-snapshot-content-ref.yaml',
      code: 1,
      lines: [
        'bad/volume-snapshot-content-ref.yaml:11 VolumeSnapshotContent bad-ref: spec.volumeSnapshotRef.namespace: Required value: the namespace of the VolumeSnapshot this content is bound to must be set',
        'bad/volume-snapshot-content-ref.yaml:12 VolumeSnapshotContent bad-ref: spec.volumeSnapshotRef.name: Invalid value: "DB_Snap": must be a lowercase RFC 1123 subdomain',
      ],
    },
    {
      rule: '10: VolumeSnapshotClass annotation "True" (warning only: exit 0)',
      file: 'bad/volume-snapshot-class-annotation.yaml',
      code: 0,
      lines: [
        'bad/volume-snapshot-class-annotation.yaml:2 VolumeSnapshotClass almost-default: warning: annotation snapshot.storage.kubernetes.io/is-default-class is "True", not "true": this class is not a default',
      ],
    },
    {
      rule: '11: VolumeGroupSnapshot source',
      file: 'bad/volume-group-snapshot-source.yaml',
      code: 1,
      lines: [
        'bad/volume-group-snapshot-source.yaml:8 VolumeGroupSnapshot shop/both: spec.source: Invalid value: {"selector":{"matchLabels":{"app":"shop"}},"volumeGroupSnapshotContentName":"imported-group-content"}: exactly one of selector and volumeGroupSnapshotContentName must be set',
      ],
    },
    {
      rule: '13: VolumeGroupSnapshot class name',
      file: 'bad/volume-group-snapshot-class-name.yaml',
      code: 1,
      lines: [
        'bad/volume-group-snapshot-class-name.yaml:8 VolumeGroupSnapshot shop/empty-class: spec.volumeGroupSnapshotClassName: Invalid value: "": must not be empty',
      ],
    },
    {
      rule: '14: VolumeGroupSnapshot selector, and the empty-selector warning',
      file: 'bad/volume-group-snapshot-selector.yaml',
      code: 1,
      lines: [
        'bad/volume-group-snapshot-selector.yaml:11 (document 1) VolumeGroupSnapshot shop/bad-selector: spec.source.selector.matchExpressions[0].values: Required value: must be specified when operator is "In" or "NotIn"',
        'bad/volume-group-snapshot-selector.yaml:15 (document 1) VolumeGroupSnapshot shop/bad-selector: spec.source.selector.matchExpressions[1].values: Forbidden: may not be specified when operator is "Exists" or "DoesNotExist"',
        'bad/volume-group-snapshot-selector.yaml:16 (document 1) VolumeGroupSnapshot shop/bad-selector: spec.source.selector.matchExpressions[2].key: Invalid value: "-bad-key": ',
        'bad/volume-group-snapshot-selector.yaml:17 (document 1) VolumeGroupSnapshot shop/bad-selector: spec.source.selector.matchExpressions[2].operator: Unsupported value: "Matches": supported values: "In", "NotIn", "Exists", "DoesNotExist"',
        'bad/volume-group-snapshot-selector.yaml:19 (document 2) VolumeGroupSnapshot shop/everything: warning: spec.source.selector is empty: it selects every PersistentVolumeClaim in namespace "shop"',
      ],
    },
    {
      rule: '15: VolumeGroupSnapshotContent source',
      file: 'bad/volume-group-snapshot-content-source.yaml',
      code: 1,
      lines: [
        'bad/volume-group-snapshot-content-source.yaml:9 (document 1) VolumeGroupSnapshotContent no-source: spec.source: Invalid value: {}: exactly one of volumeHandles and groupSnapshotHandles must be set',
        'bad/volume-group-snapshot-content-source.yaml:22 (document 2) VolumeGroupSnapshotContent half-handles: spec.source.groupSnapshotHandles.volumeSnapshotHandles: Required value: a pre-provisioned group snapshot needs both',
      ],
    },
    {
      rule: '17: VolumeGroupSnapshotContent volumeGroupSnapshotRef',
      file: 'bad/volume-group-snapshot-content-ref.yaml',
      code: 1,
      lines: [
        'bad/volume-group-snapshot-content-ref.yaml:11 VolumeGroupSnapshotContent bad-ref: spec.volumeGroupSnapshotRef.name: Required value: the name of the VolumeGroupSnapshot this content is bound to must be set',
        'bad/volume-group-snapshot-content-ref.yaml:12 VolumeGroupSnapshotContent bad-ref: spec.volumeGroupSnapshotRef.namespace: Invalid value: "Shop": must be a lowercase RFC 1123 label',
      ],
    },
    {
      rule: '18: VolumeGroupSnapshotClass annotation "yes" (warning only: exit 0)',
      file: 'bad/volume-group-snapshot-class-annotation.yaml',
      code: 0,
      lines: [
        'bad/volume-group-snapshot-class-annotation.yaml:2 VolumeGroupSnapshotClass almost-default: warning: annotation groupsnapshot.storage.kubernetes.io/is-default-class is "yes", not "true": this class is not a default',
      ],
    },
    {
      rule: 'schema: fields of the wrong type are errors on their fields, not a crash',
      file: 'bad/schema-types.yaml',
      code: 1,
      lines: [
        'bad/schema-types.yaml:8 VolumeSnapshot default/typed: metadata.annotations.retain: Invalid value: true: must be of type string',
        'bad/schema-types.yaml:10 VolumeSnapshot default/typed: spec.source: Invalid value: "db-data": must be of type object or null',
        'bad/schema-types.yaml:11 VolumeSnapshot default/typed: spec.volumeSnapshotClassName: Invalid value: 7: must be of type string or null',
      ],
    },
  ];

  it.each(cases)('rule $rule', async ({ file, code, lines }) => {
    const run = await validate([file]);
    expectLinesStartingWith(run.problems, lines);
    expect(run).toMatchObject({ stderr: '', code: code });
  });

  it('counts errors and warnings in the summary', async () => {
    const run = await validate(['bad/volume-group-snapshot-selector.yaml']);
    expect(run.summary).toBe('2 objects checked (2 snapshot objects, 0 other kinds ignored): 4 errors, 1 warning');
  });

  it('gives the whole message the webhook gives, with the hint', async () => {
    const run = await validate(['bad/volume-snapshot-source.yaml']);
    expect(run.problems[0]).toBe(
      'bad/volume-snapshot-source.yaml:8 (document 1) VolumeSnapshot default/both: spec.source: Invalid value: ' +
        '{"persistentVolumeClaimName":"db-data","volumeSnapshotContentName":"imported-content"}: exactly one of ' +
        'persistentVolumeClaimName and volumeSnapshotContentName must be set: persistentVolumeClaimName to snapshot a ' +
        'PVC, or volumeSnapshotContentName to bind a pre-provisioned VolumeSnapshotContent',
    );
  });
});

describe('validate: rule 4 (missing classes) without a cluster', () => {
  it('warns about a class not among the classes of the manifests, and about no default', async () => {
    const run = await validate(['warnings/volume-snapshot-class-missing.yaml']);
    expect(run.problems).toEqual([
      'warnings/volume-snapshot-class-missing.yaml:20 (document 3) VolumeSnapshot default/missing-class: warning: ' +
        'VolumeSnapshotClass "csi-fast-snapclass" does not exist: the snapshot stays Pending until it is created',
      'warnings/volume-snapshot-class-missing.yaml:30 (document 4) VolumeSnapshot default/no-class: warning: ' +
        'spec.volumeSnapshotClassName is not set and no VolumeSnapshotClass is marked default: the snapshot will ' +
        'stay Pending (name a class, or mark one default)',
    ]);
    expect(run.summary).toBe('5 objects checked (5 snapshot objects, 0 other kinds ignored): 0 errors, 2 warnings');
    expect(run.code).toBe(0);
  });

  it('says nothing about classes when the manifests bring none (they live elsewhere)', async () => {
    // db-snap names csi-hostpath-snapclass, which these files do not define.
    const run = await validate(['good/volume-snapshots.yaml']);
    expect(run.problems).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('finds a class defined in another file of the set', async () => {
    const run = await validate(['good/volume-snapshots.yaml', 'warnings/volume-snapshot-class-missing.yaml']);
    expect(run.problems.filter((line) => line.includes('db-snap'))).toEqual([]);
    expect(run.problems).toHaveLength(2);
  });
});

describe('validate: restores and clones against the objects of the same files', () => {
  it('refuses a restore with a StorageClass of another driver and a clone smaller than its source (exit 1)', async () => {
    const run = await validate(['restores']);
    expectLinesStartingWith(run.problems, [
      'restores/restores.yaml:43 (document 5) PersistentVolumeClaim apps/restored: spec.storageClassName: Invalid value: "ebs": StorageClass "ebs" provisions with ebs.csi.aws.com, but snapshot "db-snap" was taken by hostpath.csi.k8s.io',
      'restores/restores.yaml:61 (document 6) PersistentVolumeClaim apps/copy: spec.resources.requests.storage: Invalid value: "5Gi": must be at least the size of the source PVC, 10Gi ("db")',
    ]);
    expect(run.code).toBe(1);
  });
});
