import { describe, expect, it } from 'vitest';
import { GROUP_SNAPSHOT_DEFAULT_ANNOTATION, SNAPSHOT_DEFAULT_ANNOTATION } from '../../src/rules/snapshot-api.ts';
import type { RuleContext, RuleRequest, Verdict } from '../../src/rules/types.ts';
import {
  classObject,
  classRules,
  contextOf,
  create,
  errorLines,
  GROUP_VERSIONS,
  groupClassRules,
  SNAPSHOT_VERSIONS,
  update,
  warningLines,
  type ClassSpec,
  type ClusterSpec,
} from '../support/rules.ts';

interface Kind {
  readonly name: string;
  readonly annotationKey: string;
  readonly resource: string;
  readonly versions: readonly string[];
  readonly rulesOf: (version: string) => (request: RuleRequest, context?: RuleContext) => Verdict;
  readonly cluster: (classes: readonly ClassSpec[]) => ClusterSpec;
}

const KINDS: readonly Kind[] = [
  {
    name: 'VolumeSnapshotClass',
    annotationKey: SNAPSHOT_DEFAULT_ANNOTATION,
    resource: 'volumesnapshotclass',
    versions: SNAPSHOT_VERSIONS,
    rulesOf: classRules,
    cluster: (classes) => ({ snapshotClasses: classes }),
  },
  {
    name: 'VolumeGroupSnapshotClass',
    annotationKey: GROUP_SNAPSHOT_DEFAULT_ANNOTATION,
    resource: 'volumegroupsnapshotclass',
    versions: GROUP_VERSIONS,
    rulesOf: groupClassRules,
    cluster: (classes) => ({ groupSnapshotClasses: classes }),
  },
];

const DRIVER = 'hostpath.csi.k8s.io';
const existingDefault: ClassSpec = { name: 'csi-hostpath-snapclass', driver: DRIVER, defaultValue: 'true' };

describe.each(KINDS)('$name: rules 9, 10, 18 (one default per driver)', (kind) => {
  const object = (spec: ClassSpec) => classObject(kind.annotationKey, spec);

  describe.each(kind.versions)('%s', (version) => {
    const decide = kind.rulesOf(version);
    const withDefault = contextOf(kind.cluster([existingDefault]));

    it('denies a second default for the same driver, naming the default and the fix', () => {
      const verdict = decide(create(object({ name: 'fast', driver: DRIVER, defaultValue: 'true' })), withDefault);
      expect(errorLines(verdict)).toEqual([
        `metadata.annotations[${kind.annotationKey}]: Forbidden: driver "${DRIVER}" already has a default ${kind.name}, ` +
          '"csi-hostpath-snapclass"; only one default per driver is allowed (with two, snapshots that name no class fail). ' +
          'To make this class the default, first remove the annotation from "csi-hostpath-snapclass": ' +
          `kubectl annotate ${kind.resource} csi-hostpath-snapclass ${kind.annotationKey}-`,
      ]);
    });

    it('allows a default for another driver, a non-default class, and the first default', () => {
      expect(errorLines(decide(create(object({ name: 'b', driver: 'other.csi', defaultValue: 'true' })), withDefault))).toEqual([]);
      expect(errorLines(decide(create(object({ name: 'b', driver: DRIVER })), withDefault))).toEqual([]);
      expect(errorLines(decide(create(object({ name: 'b', driver: DRIVER, defaultValue: 'true' })), contextOf()))).toEqual([]);
    });

    it('never conflicts with itself, even when the cache already holds it', () => {
      const self = object(existingDefault);
      expect(errorLines(decide(create(self), withDefault))).toEqual([]);
    });

    it('denies an update that makes a class default while another is', () => {
      const before = object({ name: 'fast', driver: DRIVER });
      const after = object({ name: 'fast', driver: DRIVER, defaultValue: 'true' });
      expect(decide(update(before, after), withDefault).violations).toHaveLength(1);
    });

    it('denies an update that moves a default class onto a driver that has one', () => {
      const before = object({ name: 'fast', driver: 'other.csi', defaultValue: 'true' });
      const after = object({ name: 'fast', driver: DRIVER, defaultValue: 'true' });
      const verdict = decide(update(before, after), withDefault);
      expect(verdict.violations.map((v) => v.rule)).toContain(`${kind.name.toLowerCase()}-single-default`);
    });

    it('ratchets: an existing duplicate default can still be edited', () => {
      const duplicate = { name: 'fast', driver: DRIVER, defaultValue: 'true' };
      const context = contextOf(kind.cluster([existingDefault, duplicate]));
      const before = object(duplicate);
      const after = { ...before, metadata: { ...(before.metadata as object), labels: { a: 'b' } } };
      expect(errorLines(decide(update(before, after), context))).toEqual([]);
    });

    it('names every existing default when there are several', () => {
      const second = { name: 'second', driver: DRIVER, defaultValue: 'true' };
      const verdict = decide(
        create(object({ name: 'third', driver: DRIVER, defaultValue: 'true' })),
        contextOf(kind.cluster([existingDefault, second])),
      );
      expect(errorLines(verdict)[0]).toContain(`2 default ${kind.name}es: "csi-hostpath-snapclass", "second"`);
    });

    it('skips the lookup when the cache is off', () => {
      const off = contextOf({ snapshotClasses: null, groupSnapshotClasses: null });
      expect(errorLines(decide(create(object({ name: 'b', driver: DRIVER, defaultValue: 'true' })), off))).toEqual([]);
    });

    it('rule 10: warns when the annotation is not exactly "true"', () => {
      for (const value of ['True', 'yes', '1']) {
        const verdict = decide(create(object({ name: 'b', driver: DRIVER, defaultValue: value })), withDefault);
        expect(verdict.violations).toEqual([]);
        expect(warningLines(verdict)).toEqual([
          `annotation ${kind.annotationKey} is ${JSON.stringify(value)}, not "true": this class is not a default`,
        ]);
      }
      expect(warningLines(decide(create(object({ name: 'b', driver: DRIVER, defaultValue: 'true' })), contextOf()))).toEqual([]);
      expect(warningLines(decide(create(object({ name: 'b', driver: DRIVER })), contextOf()))).toEqual([]);
    });

    it('rule 10: does not warn again on an update that keeps the same value', () => {
      const stored = object({ name: 'b', driver: DRIVER, defaultValue: 'True' });
      expect(warningLines(decide(update(stored, stored)))).toEqual([]);
    });
  });
});

describe.each(GROUP_VERSIONS)('VolumeGroupSnapshotClass %s: rule 19 (immutable fields)', (version) => {
  const decide = groupClassRules(version);
  const stored = { metadata: { name: 'g' }, driver: DRIVER, deletionPolicy: 'Delete', parameters: { a: '1', b: '2' } };

  it('allows an update that keeps driver, deletionPolicy and parameters (in any key order)', () => {
    expect(errorLines(decide(update(stored, { ...stored, parameters: { b: '2', a: '1' } })))).toEqual([]);
    const bare = { metadata: { name: 'g' }, driver: DRIVER, deletionPolicy: 'Delete' };
    expect(errorLines(decide(update(bare, { ...bare, parameters: {} })))).toEqual([]);
  });

  it('denies changing each of them, all at once', () => {
    const changed = { ...stored, driver: 'other.csi', deletionPolicy: 'Retain', parameters: { a: '1' } };
    expect(errorLines(decide(update(stored, changed)))).toEqual([
      `driver: Invalid value: "other.csi": field is immutable (it was "${DRIVER}")`,
      'deletionPolicy: Invalid value: "Retain": field is immutable (it was "Delete")',
      'parameters: Invalid value: {"a":"1"}: field is immutable (it was {"a":"1","b":"2"})',
    ]);
  });
});
