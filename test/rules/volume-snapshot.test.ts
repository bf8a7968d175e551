import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/rules/types.ts';
import { contextOf, create, errorLines, SNAPSHOT_VERSIONS, snapshotRules, update, warningLines } from '../support/rules.ts';

function snapshot(source: KubeObject, extra: KubeObject = {}): KubeObject {
  return { metadata: { name: 'db-snap', namespace: 'default' }, spec: { source, ...extra } };
}

const classes = { snapshotClasses: [{ name: 'fast', driver: 'hostpath.csi.k8s.io', defaultValue: 'true' }] };

describe.each(SNAPSHOT_VERSIONS)('VolumeSnapshot %s', (version) => {
  const decide = snapshotRules(version);

  describe('rule 1: exactly one source', () => {
    it('allows a PVC source and a content source', () => {
      expect(errorLines(decide(create(snapshot({ persistentVolumeClaimName: 'db-data' }))))).toEqual([]);
      expect(errorLines(decide(create(snapshot({ volumeSnapshotContentName: 'pre-made' }))))).toEqual([]);
    });

    it('denies both, showing the values', () => {
      const verdict = decide(create(snapshot({ persistentVolumeClaimName: 'a', volumeSnapshotContentName: 'b' })));
      expect(errorLines(verdict)).toEqual([
        'spec.source: Invalid value: {"persistentVolumeClaimName":"a","volumeSnapshotContentName":"b"}: ' +
          'exactly one of persistentVolumeClaimName and volumeSnapshotContentName must be set: ' +
          'persistentVolumeClaimName to snapshot a PVC, or volumeSnapshotContentName to bind a pre-provisioned VolumeSnapshotContent',
      ]);
      expect(verdict.violations[0]?.reason).toBe('FieldValueInvalid');
    });

    it('denies neither, and null counts as not set', () => {
      expect(errorLines(decide(create(snapshot({}))))[0]).toMatch(/^spec\.source: Invalid value: \{\}: exactly one of/);
      const nulls = decide(create(snapshot({ persistentVolumeClaimName: null, volumeSnapshotContentName: null })));
      expect(errorLines(nulls)[0]).toMatch(/^spec\.source: Invalid value: .*exactly one of/);
      const noSource = decide(create({ metadata: { name: 'x' }, spec: {} }));
      expect(noSource.violations.map((v) => [v.field, v.reason])).toEqual([['spec.source', 'FieldValueRequired']]);
    });

    it('ratchets: an update that leaves an invalid source alone is allowed', () => {
      const stored = snapshot({ persistentVolumeClaimName: 'a', volumeSnapshotContentName: 'b' });
      const relabelled = { ...stored, metadata: { name: 'db-snap', labels: { team: 'storage' } } };
      expect(errorLines(decide(update(stored, relabelled)))).toEqual([]);
    });
  });

  describe('rule 2: source fields are immutable', () => {
    it('allows an update that keeps them', () => {
      const stored = snapshot({ persistentVolumeClaimName: 'a' });
      expect(errorLines(decide(update(stored, snapshot({ persistentVolumeClaimName: 'a' }, { x: 1 }))))).toEqual([]);
    });

    it('denies a change', () => {
      const verdict = decide(update(snapshot({ persistentVolumeClaimName: 'a' }), snapshot({ persistentVolumeClaimName: 'b' })));
      expect(errorLines(verdict)).toEqual(['spec.source.persistentVolumeClaimName: Invalid value: "b": field is immutable (it was "a")']);
    });

    it('denies removing one and adding the other, with every violation', () => {
      const verdict = decide(update(snapshot({ persistentVolumeClaimName: 'a' }), snapshot({ volumeSnapshotContentName: 'c' })));
      expect(errorLines(verdict)).toEqual([
        'spec.source.persistentVolumeClaimName: Forbidden: field is immutable: it was "a" and cannot be removed',
        'spec.source.volumeSnapshotContentName: Forbidden: field is immutable: it cannot be set after creation',
      ]);
    });

    it('denies adding the second field, also breaking rule 1', () => {
      const verdict = decide(
        update(snapshot({ volumeSnapshotContentName: 'c' }), snapshot({ volumeSnapshotContentName: 'c', persistentVolumeClaimName: 'a' })),
      );
      expect(verdict.violations.map((v) => v.field)).toEqual(['spec.source', 'spec.source.persistentVolumeClaimName']);
    });
  });

  describe('rule 3: class name', () => {
    it('allows a valid name, and no name', () => {
      expect(errorLines(decide(create(snapshot({ persistentVolumeClaimName: 'a' }, { volumeSnapshotClassName: 'fast' }))))).toEqual([]);
      expect(errorLines(decide(create(snapshot({ persistentVolumeClaimName: 'a' }, { volumeSnapshotClassName: null }))))).toEqual([]);
    });

    it('denies an empty or malformed name, and malformed source names', () => {
      expect(errorLines(decide(create(snapshot({ persistentVolumeClaimName: 'a' }, { volumeSnapshotClassName: '' }))))).toEqual([
        'spec.volumeSnapshotClassName: Invalid value: "": must not be empty',
      ]);
      const bad = decide(create(snapshot({ persistentVolumeClaimName: 'My_PVC' }, { volumeSnapshotClassName: 'Fast' })));
      expect(bad.violations.map((v) => v.field)).toEqual(['spec.source.persistentVolumeClaimName', 'spec.volumeSnapshotClassName']);
      expect(errorLines(bad)[1]).toMatch(/^spec\.volumeSnapshotClassName: Invalid value: "Fast": must be a lowercase RFC 1123 subdomain/);
      const long = decide(create(snapshot({ persistentVolumeClaimName: 'a'.repeat(254) })));
      expect(errorLines(long)[0]).toContain('must be no more than 253 characters (it has 254)');
      expect(errorLines(long)[0]).toContain('... (256 characters)');
    });

    it('stays mutable: the controller may fill it in, and may change it', () => {
      const stored = snapshot({ persistentVolumeClaimName: 'a' });
      expect(errorLines(decide(update(stored, snapshot({ persistentVolumeClaimName: 'a' }, { volumeSnapshotClassName: 'fast' }))))).toEqual(
        [],
      );
    });

    it('ratchets: an empty name stored earlier does not block finalizer removal, but a new bad name is denied', () => {
      const stored = snapshot({ persistentVolumeClaimName: 'a' }, { volumeSnapshotClassName: '' });
      const withoutFinalizers = { ...stored, metadata: { name: 'db-snap', finalizers: [] } };
      expect(errorLines(decide(update(stored, withoutFinalizers)))).toEqual([]);
      const renamed = snapshot({ persistentVolumeClaimName: 'a' }, { volumeSnapshotClassName: 'Bad' });
      expect(errorLines(decide(update(stored, renamed)))).toHaveLength(1);
    });
  });

  describe('rule 4: warnings about the class', () => {
    it('warns when the named class is not in the cache', () => {
      const verdict = decide(create(snapshot({ persistentVolumeClaimName: 'a' }, { volumeSnapshotClassName: 'slow' })), contextOf(classes));
      expect(verdict.violations).toEqual([]);
      expect(warningLines(verdict)).toEqual(['VolumeSnapshotClass "slow" does not exist: the snapshot stays Pending until it is created']);
    });

    it('does not warn when the class exists, or the cache is off', () => {
      const request = create(snapshot({ persistentVolumeClaimName: 'a' }, { volumeSnapshotClassName: 'fast' }));
      expect(warningLines(decide(request, contextOf(classes)))).toEqual([]);
      const missing = create(snapshot({ persistentVolumeClaimName: 'a' }, { volumeSnapshotClassName: 'slow' }));
      expect(warningLines(decide(missing, contextOf({ snapshotClasses: null })))).toEqual([]);
    });

    it('warns when no class is named and no default exists', () => {
      const request = create(snapshot({ persistentVolumeClaimName: 'a' }));
      expect(warningLines(decide(request, contextOf({ snapshotClasses: [{ name: 'x', driver: 'd' }] })))).toEqual([
        'spec.volumeSnapshotClassName is not set and no VolumeSnapshotClass is marked default: ' +
          'the snapshot will stay Pending (name a class, or mark one default)',
      ]);
      expect(warningLines(decide(request, contextOf(classes)))).toEqual([]);
    });

    it('does not warn for a pre-provisioned snapshot, which needs no class', () => {
      expect(warningLines(decide(create(snapshot({ volumeSnapshotContentName: 'c' })), contextOf()))).toEqual([]);
    });

    it('does not warn again on an update that leaves the class name alone', () => {
      const stored = snapshot({ persistentVolumeClaimName: 'a' }, { volumeSnapshotClassName: 'slow' });
      expect(warningLines(decide(update(stored, stored), contextOf(classes)))).toEqual([]);
    });
  });
});
