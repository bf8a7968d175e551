import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/rules/types.ts';
import { create, errorLines, GROUP_VERSIONS, groupRules, update, warningLines } from '../support/rules.ts';

function group(source: KubeObject, extra: KubeObject = {}): KubeObject {
  return { metadata: { name: 'app-group', namespace: 'default' }, spec: { source, ...extra } };
}

const bySelector = (selector: KubeObject) => group({ selector });

describe.each(GROUP_VERSIONS)('VolumeGroupSnapshot %s', (version) => {
  const decide = groupRules(version);

  describe('rule 11: exactly one source', () => {
    it('allows a selector or a content name', () => {
      expect(errorLines(decide(create(bySelector({ matchLabels: { app: 'db' } }))))).toEqual([]);
      expect(errorLines(decide(create(group({ volumeGroupSnapshotContentName: 'pre' }))))).toEqual([]);
    });

    it('denies both and neither', () => {
      expect(
        errorLines(decide(create(group({ selector: { matchLabels: { app: 'db' } }, volumeGroupSnapshotContentName: 'pre' })))),
      ).toEqual([
        'spec.source: Invalid value: {"selector":{"matchLabels":{"app":"db"}},"volumeGroupSnapshotContentName":"pre"}: ' +
          'exactly one of selector and volumeGroupSnapshotContentName must be set: selector to snapshot the PVCs it selects, ' +
          'or volumeGroupSnapshotContentName to bind a pre-provisioned VolumeGroupSnapshotContent',
      ]);
      expect(decide(create(group({}))).violations.map((v) => v.field)).toEqual(['spec.source']);
    });
  });

  describe('rule 12: source is immutable, selectors compared by meaning', () => {
    it('treats an absent matchLabels as an empty one', () => {
      const before = bySelector({ matchExpressions: [{ key: 'app', operator: 'Exists' }] });
      const after = bySelector({ matchLabels: {}, matchExpressions: [{ key: 'app', operator: 'Exists', values: [] }] });
      expect(errorLines(decide(update(before, after)))).toEqual([]);
    });

    it('ignores the order of matchLabels keys', () => {
      expect(
        errorLines(decide(update(bySelector({ matchLabels: { a: '1', b: '2' } }), bySelector({ matchLabels: { b: '2', a: '1' } })))),
      ).toEqual([]);
    });

    it('denies a changed selector, keeping the order of values as given', () => {
      const before = bySelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] });
      const after = bySelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['b', 'a'] }] });
      const verdict = decide(update(before, after));
      expect(verdict.violations.map((v) => v.field)).toEqual(['spec.source.selector']);
      expect(errorLines(verdict)[0]).toContain('field is immutable (it was {"matchExpressions":');
    });

    it('denies changing the content name', () => {
      const verdict = decide(update(group({ volumeGroupSnapshotContentName: 'a' }), group({ volumeGroupSnapshotContentName: 'b' })));
      expect(errorLines(verdict)).toEqual([
        'spec.source.volumeGroupSnapshotContentName: Invalid value: "b": field is immutable (it was "a")',
      ]);
    });
  });

  describe('rule 13: class name', () => {
    it('denies an empty name, allows a valid one', () => {
      expect(errorLines(decide(create(group({ volumeGroupSnapshotContentName: 'a' }, { volumeGroupSnapshotClassName: '' }))))).toEqual([
        'spec.volumeGroupSnapshotClassName: Invalid value: "": must not be empty',
      ]);
      expect(errorLines(decide(create(group({ volumeGroupSnapshotContentName: 'a' }, { volumeGroupSnapshotClassName: 'g' }))))).toEqual([]);
    });
  });

  describe('rule 14: selector validity', () => {
    it('requires values for In and NotIn, forbids them for Exists and DoesNotExist', () => {
      const verdict = decide(
        create(
          bySelector({
            matchExpressions: [
              { key: 'app', operator: 'In', values: [] },
              { key: 'app', operator: 'NotIn' },
              { key: 'tier', operator: 'Exists', values: ['x'] },
              { key: 'tier', operator: 'DoesNotExist' },
            ],
          }),
        ),
      );
      expect(errorLines(verdict)).toEqual([
        'spec.source.selector.matchExpressions[0].values: Required value: must be specified when operator is "In" or "NotIn"',
        'spec.source.selector.matchExpressions[1].values: Required value: must be specified when operator is "In" or "NotIn"',
        'spec.source.selector.matchExpressions[2].values: Forbidden: may not be specified when operator is "Exists" or "DoesNotExist"',
      ]);
    });

    it('denies an unknown operator, bad keys and bad values', () => {
      const verdict = decide(
        create(
          bySelector({
            matchLabels: { 'bad key': 'ok', good: 'not ok!' },
            matchExpressions: [
              { key: 'app', operator: 'Equals', values: ['a'] },
              { key: '-x', operator: 'In', values: ['a b'] },
            ],
          }),
        ),
      );
      expect(verdict.violations.map((v) => `${v.field} ${v.reason}`)).toEqual([
        'spec.source.selector.matchLabels FieldValueInvalid',
        'spec.source.selector.matchLabels[good] FieldValueInvalid',
        'spec.source.selector.matchExpressions[0].operator FieldValueNotSupported',
        'spec.source.selector.matchExpressions[1].key FieldValueInvalid',
        'spec.source.selector.matchExpressions[1].values[0] FieldValueInvalid',
      ]);
      expect(errorLines(verdict)[2]).toBe(
        'spec.source.selector.matchExpressions[0].operator: Unsupported value: "Equals": supported values: "In", "NotIn", "Exists", "DoesNotExist"',
      );
    });

    it('accepts prefixed keys and empty values', () => {
      expect(errorLines(decide(create(bySelector({ matchLabels: { 'app.kubernetes.io/name': '' } }))))).toEqual([]);
    });

    it('ratchets: an invalid stored selector does not block other updates', () => {
      const stored = bySelector({ matchExpressions: [{ key: 'app', operator: 'In' }] });
      expect(errorLines(decide(update(stored, { ...stored, metadata: { name: 'app-group', finalizers: [] } })))).toEqual([]);
    });

    it('warns that an empty selector selects every PVC in the namespace', () => {
      const verdict = decide(create(bySelector({})));
      expect(verdict.violations).toEqual([]);
      expect(warningLines(verdict)).toEqual([
        'spec.source.selector is empty: it selects every PersistentVolumeClaim in namespace "default"',
      ]);
      expect(warningLines(decide(create(bySelector({ matchLabels: { a: 'b' } }))))).toEqual([]);
    });
  });
});
