import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/rules/types.ts';
import { contentRules, contextOf, create, errorLines, SNAPSHOT_VERSIONS, update } from '../support/rules.ts';

function content(spec: KubeObject): KubeObject {
  return {
    metadata: { name: 'pre-made-content' },
    spec: {
      deletionPolicy: 'Retain',
      driver: 'hostpath.csi.k8s.io',
      volumeSnapshotRef: { name: 'pre-made', namespace: 'default' },
      ...spec,
    },
  };
}

describe.each(SNAPSHOT_VERSIONS)('VolumeSnapshotContent %s', (version) => {
  const decide = contentRules(version);

  describe('rule 5: exactly one source', () => {
    it('allows either handle', () => {
      expect(errorLines(decide(create(content({ source: { volumeHandle: 'vol-1' } }))))).toEqual([]);
      expect(errorLines(decide(create(content({ source: { snapshotHandle: 'snap-1' } }))))).toEqual([]);
    });

    it('denies both and neither', () => {
      expect(errorLines(decide(create(content({ source: { volumeHandle: 'v', snapshotHandle: 's' } }))))).toEqual([
        'spec.source: Invalid value: {"volumeHandle":"v","snapshotHandle":"s"}: exactly one of volumeHandle and snapshotHandle must be set: ' +
          'volumeHandle for a dynamically provisioned snapshot, or snapshotHandle for a pre-provisioned one',
      ]);
      expect(decide(create(content({ source: {} }))).violations).toHaveLength(1);
    });

    it('ratchets when the source is untouched', () => {
      const stored = content({ source: { volumeHandle: 'v', snapshotHandle: 's' } });
      expect(errorLines(decide(update(stored, { ...stored, status: { readyToUse: true } })))).toEqual([]);
    });
  });

  describe('rule 5: handles are never empty', () => {
    it('denies an empty volumeHandle or snapshotHandle with its field path', () => {
      expect(errorLines(decide(create(content({ source: { volumeHandle: '' } }))))).toEqual([
        'spec.source.volumeHandle: Invalid value: "": must not be empty',
      ]);
      expect(errorLines(decide(create(content({ source: { snapshotHandle: '' } }))))).toEqual([
        'spec.source.snapshotHandle: Invalid value: "": must not be empty',
      ]);
    });

    it('ratchets a stored empty handle that the update leaves alone', () => {
      const stored = content({ source: { snapshotHandle: '' } });
      expect(errorLines(decide(update(stored, { ...stored, metadata: { name: 'pre-made-content', finalizers: [] } })))).toEqual([]);
    });
  });

  describe('rule 6: handles are immutable', () => {
    it('denies a changed handle, allows the same one', () => {
      const stored = content({ source: { snapshotHandle: 's' } });
      expect(errorLines(decide(update(stored, content({ source: { snapshotHandle: 's' } }))))).toEqual([]);
      expect(errorLines(decide(update(stored, content({ source: { snapshotHandle: 't' } }))))).toEqual([
        'spec.source.snapshotHandle: Invalid value: "t": field is immutable (it was "s")',
      ]);
    });

    it('denies swapping one handle for the other', () => {
      const verdict = decide(update(content({ source: { volumeHandle: 'v' } }), content({ source: { snapshotHandle: 's' } })));
      expect(verdict.violations.map((v) => [v.field, v.reason])).toEqual([
        ['spec.source.volumeHandle', 'FieldValueForbidden'],
        ['spec.source.snapshotHandle', 'FieldValueForbidden'],
      ]);
    });
  });

  describe('rule 7: sourceVolumeMode', () => {
    const withMode = (mode?: string) => content({ source: { snapshotHandle: 's' }, ...(mode ? { sourceVolumeMode: mode } : {}) });

    it('denies a change and a removal once set', () => {
      expect(errorLines(decide(update(withMode('Filesystem'), withMode('Block'))))).toEqual([
        'spec.sourceVolumeMode: Invalid value: "Block": field is immutable (it was "Filesystem")',
      ]);
      expect(errorLines(decide(update(withMode('Filesystem'), withMode())))).toEqual([
        'spec.sourceVolumeMode: Forbidden: field is immutable: it was "Filesystem" and cannot be removed',
      ]);
    });

    it('allows setting it where it was unset, as the CEL rule does', () => {
      expect(errorLines(decide(update(withMode(), withMode('Block'))))).toEqual([]);
    });

    it('allows a change when --prevent-volume-mode-conversion is off', () => {
      expect(errorLines(decide(update(withMode('Filesystem'), withMode('Block')), contextOf({}, false)))).toEqual([]);
    });
  });

  describe('rule 8: volumeSnapshotRef', () => {
    it('denies a missing or invalid name or namespace', () => {
      const missing = decide(create(content({ source: { snapshotHandle: 's' }, volumeSnapshotRef: { name: 'x' } })));
      expect(errorLines(missing)).toEqual([
        'spec.volumeSnapshotRef.namespace: Required value: the namespace of the VolumeSnapshot this content is bound to must be set',
      ]);
      const none = decide(create(content({ source: { snapshotHandle: 's' }, volumeSnapshotRef: null })));
      expect(none.violations.map((v) => v.field)).toEqual(['spec.volumeSnapshotRef.name', 'spec.volumeSnapshotRef.namespace']);
      const invalid = decide(create(content({ source: { snapshotHandle: 's' }, volumeSnapshotRef: { name: 'A', namespace: 'a.b' } })));
      expect(invalid.violations.map((v) => v.field)).toEqual(['spec.volumeSnapshotRef.name', 'spec.volumeSnapshotRef.namespace']);
      expect(errorLines(invalid)[1]).toMatch(/Invalid value: "a\.b": must be a lowercase RFC 1123 label/);
    });

    it('ratchets: a stored content without a namespace can still lose its finalizers', () => {
      const stored = content({ source: { snapshotHandle: 's' }, volumeSnapshotRef: { name: 'x' } });
      expect(errorLines(decide(update(stored, { ...stored, metadata: { name: 'c', finalizers: [] } })))).toEqual([]);
    });

    it('ratchets each part: binding (adding the uid) keeps a stored bad name, a changed name is checked', () => {
      const stored = content({ source: { snapshotHandle: 's' }, volumeSnapshotRef: { name: 'Snap_1', namespace: 'ns' } });
      const bound = content({ source: { snapshotHandle: 's' }, volumeSnapshotRef: { name: 'Snap_1', namespace: 'ns', uid: 'u-1' } });
      expect(errorLines(decide(update(stored, bound)))).toEqual([]);
      const renamed = content({ source: { snapshotHandle: 's' }, volumeSnapshotRef: { name: 'Snap_2', namespace: 'ns' } });
      expect(decide(update(stored, renamed)).violations.map((v) => v.field)).toEqual(['spec.volumeSnapshotRef.name']);
      const unnamespaced = content({ source: { snapshotHandle: 's' }, volumeSnapshotRef: { name: 'Snap_1' } });
      expect(errorLines(decide(update(stored, unnamespaced)))).toEqual([
        'spec.volumeSnapshotRef.namespace: Required value: the namespace of the VolumeSnapshot this content is bound to must be set',
      ]);
    });
  });
});
