import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/rules/types.ts';
import { create, errorLines, GROUP_VERSIONS, groupContentRules, update } from '../support/rules.ts';

function content(spec: KubeObject): KubeObject {
  return {
    metadata: { name: 'group-content' },
    spec: {
      driver: 'hostpath.csi.k8s.io',
      deletionPolicy: 'Delete',
      volumeGroupSnapshotRef: { name: 'app-group', namespace: 'default' },
      source: { volumeHandles: ['v1', 'v2'] },
      ...spec,
    },
  };
}

const preProvisioned = { groupSnapshotHandles: { volumeGroupSnapshotHandle: 'g', volumeSnapshotHandles: ['s1', 's2'] } };

describe.each(GROUP_VERSIONS)('VolumeGroupSnapshotContent %s', (version) => {
  const decide = groupContentRules(version);

  describe('rule 15: handles are never empty', () => {
    it('denies an empty list, an empty handle in a list and an empty group handle, each with its path', () => {
      expect(errorLines(decide(create(content({ source: { volumeHandles: [] } }))))).toEqual([
        'spec.source.volumeHandles: Invalid value: []: must not be empty',
      ]);
      expect(errorLines(decide(create(content({ source: { volumeHandles: ['v1', '', 'v3'] } }))))).toEqual([
        'spec.source.volumeHandles[1]: Invalid value: "": must not be empty',
      ]);
      const handles = { groupSnapshotHandles: { volumeGroupSnapshotHandle: '', volumeSnapshotHandles: ['s1', ''] } };
      expect(errorLines(decide(create(content({ source: handles }))))).toEqual([
        'spec.source.groupSnapshotHandles.volumeGroupSnapshotHandle: Invalid value: "": must not be empty',
        'spec.source.groupSnapshotHandles.volumeSnapshotHandles[1]: Invalid value: "": must not be empty',
      ]);
    });

    it('allows non-empty handles and ratchets stored empty ones the update leaves alone', () => {
      expect(errorLines(decide(create(content({ source: preProvisioned }))))).toEqual([]);
      const stored = content({ source: { volumeHandles: [''] } });
      expect(errorLines(decide(update(stored, { ...stored, status: { readyToUse: true } })))).toEqual([]);
    });
  });

  describe('rule 15: exactly one source', () => {
    it('allows volumeHandles or groupSnapshotHandles', () => {
      expect(errorLines(decide(create(content({}))))).toEqual([]);
      expect(errorLines(decide(create(content({ source: preProvisioned }))))).toEqual([]);
    });

    it('denies both and neither', () => {
      const both = decide(create(content({ source: { volumeHandles: ['v'], ...preProvisioned } })));
      expect(errorLines(both)[0]).toMatch(
        /^spec\.source: Invalid value: .*exactly one of volumeHandles and groupSnapshotHandles must be set/,
      );
      expect(decide(create(content({ source: {} }))).violations).toHaveLength(1);
    });

    it('requires both parts of groupSnapshotHandles', () => {
      const verdict = decide(create(content({ source: { groupSnapshotHandles: { volumeGroupSnapshotHandle: 'g' } } })));
      expect(errorLines(verdict)).toEqual([
        'spec.source.groupSnapshotHandles.volumeSnapshotHandles: Required value: a pre-provisioned group snapshot needs both volumeGroupSnapshotHandle and volumeSnapshotHandles',
      ]);
    });
  });

  describe('rule 16: immutable fields', () => {
    it('allows an update that changes none of them, and setting the class name and uid once', () => {
      const stored = content({});
      expect(errorLines(decide(update(stored, content({ volumeGroupSnapshotClassName: 'g' }))))).toEqual([]);
      const withUid = content({ volumeGroupSnapshotRef: { name: 'app-group', namespace: 'default', uid: 'u-1' } });
      expect(errorLines(decide(update(stored, withUid)))).toEqual([]);
    });

    it('denies changing each immutable field, all at once', () => {
      const stored = content({
        volumeGroupSnapshotClassName: 'g',
        volumeGroupSnapshotRef: { name: 'app-group', namespace: 'default', uid: 'u-1' },
      });
      const changed = content({
        driver: 'other.csi',
        source: { volumeHandles: ['v1'] },
        volumeGroupSnapshotClassName: 'h',
        volumeGroupSnapshotRef: { name: 'other', namespace: 'prod', uid: 'u-2' },
      });
      expect(decide(update(stored, changed)).violations.map((v) => v.field)).toEqual([
        'spec.source.volumeHandles',
        'spec.driver',
        'spec.volumeGroupSnapshotClassName',
        'spec.volumeGroupSnapshotRef.name',
        'spec.volumeGroupSnapshotRef.namespace',
        'spec.volumeGroupSnapshotRef.uid',
      ]);
    });

    it('denies removing the class name or the uid once set, and changing groupSnapshotHandles', () => {
      const stored = content({
        source: preProvisioned,
        volumeGroupSnapshotClassName: 'g',
        volumeGroupSnapshotRef: { name: 'a', namespace: 'b', uid: 'u' },
      });
      const changed = content({
        source: { groupSnapshotHandles: { volumeGroupSnapshotHandle: 'g', volumeSnapshotHandles: ['s1'] } },
        volumeGroupSnapshotRef: { name: 'a', namespace: 'b' },
      });
      expect(decide(update(stored, changed)).violations.map((v) => `${v.field} ${v.reason}`)).toEqual([
        'spec.source.groupSnapshotHandles FieldValueInvalid',
        'spec.volumeGroupSnapshotClassName FieldValueForbidden',
        'spec.volumeGroupSnapshotRef.uid FieldValueForbidden',
      ]);
    });
  });

  describe('rule 17: volumeGroupSnapshotRef', () => {
    it('denies a missing or invalid name or namespace', () => {
      const verdict = decide(create(content({ volumeGroupSnapshotRef: { name: '' } })));
      expect(errorLines(verdict)).toEqual([
        'spec.volumeGroupSnapshotRef.name: Invalid value: "": must not be empty',
        'spec.volumeGroupSnapshotRef.namespace: Required value: the namespace of the VolumeGroupSnapshot this content is bound to must be set',
      ]);
    });

    it('ratchets when the reference is untouched', () => {
      const stored = content({ volumeGroupSnapshotRef: { name: 'x' } });
      expect(errorLines(decide(update(stored, { ...stored, status: {} })))).toEqual([]);
    });

    it('ratchets each part: adding the uid keeps a stored bad name', () => {
      const stored = content({ volumeGroupSnapshotRef: { name: 'Group_1', namespace: 'ns' } });
      const bound = content({ volumeGroupSnapshotRef: { name: 'Group_1', namespace: 'ns', uid: 'u-1' } });
      expect(errorLines(decide(update(stored, bound)))).toEqual([]);
      const moved = content({ volumeGroupSnapshotRef: { name: 'Group_1', namespace: 'Other' } });
      const lines = errorLines(decide(update(stored, moved)));
      expect(lines).toHaveLength(2); // immutable once bound (rule 16), and invalid (rule 17)
      expect(lines).toContainEqual(
        expect.stringMatching(/^spec\.volumeGroupSnapshotRef\.namespace: Invalid value: "Other": field is immutable/),
      );
      expect(lines).toContainEqual(
        expect.stringMatching(/^spec\.volumeGroupSnapshotRef\.namespace: Invalid value: "Other": must be a lowercase RFC 1123 label/),
      );
    });
  });
});
