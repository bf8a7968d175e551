import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import type { ValidateReport } from '../../../src/cli/validate/report.ts';
import { loadSchemas } from '../../../src/schemas.ts';
import { validate } from './run-validate.ts';

/** --output json: a report that machines can rely on, checked against its published schema. */
const schema = JSON.parse(readFileSync(new URL('../../../schemas/validate-report.schema.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;
const checkReport = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true }).compile(schema);

async function reportOf(args: readonly string[], stdin?: string): Promise<{ report: ValidateReport; code: number }> {
  const run = await validate([...args, '--output', 'json'], { stdin });
  expect(run.stderr).toBe('');
  const report = JSON.parse(run.stdout) as ValidateReport;
  expect(checkReport(report), JSON.stringify(checkReport.errors)).toBe(true);
  return { report, code: run.code };
}

describe('validate --output json', () => {
  it('matches the schema for errors, warnings, Lists, other kinds and multi-document files', async () => {
    const { report, code } = await reportOf(['list.yaml', 'bad', 'good', 'defaults']);
    // 3 + 17 + 8 + 6 snapshot objects; good's default classes make the 5 defaults of defaults/ errors.
    expect(report.summary).toEqual({ objects: 37, snapshotObjects: 34, ignored: 3, errors: 30, warnings: 4 });
    expect(code).toBe(1);
  });

  it('reports each object with where it is and each error with its field, reason, message, rule and line', async () => {
    const { report } = await reportOf(['list.yaml']);
    expect(report.objects[1]).toEqual({
      file: 'list.yaml',
      document: 1,
      item: 2,
      line: 20,
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      namespace: 'default',
      name: 'both',
      generateName: null,
      operation: 'CREATE',
      errors: [
        {
          field: 'spec.source',
          reason: 'FieldValueInvalid',
          message:
            'Invalid value: {"persistentVolumeClaimName":"db-data","volumeSnapshotContentName":"imported-content"}: ' +
            'exactly one of persistentVolumeClaimName and volumeSnapshotContentName must be set: ' +
            'persistentVolumeClaimName to snapshot a PVC, or volumeSnapshotContentName to bind a pre-provisioned ' +
            'VolumeSnapshotContent',
          rule: 'volumesnapshot-source',
          line: 26,
        },
      ],
      warnings: [],
    });
    expect(report.objects.map((object) => `${object.document}/${String(object.item)} ${object.kind} ${object.name ?? ''}`)).toEqual([
      '1/0 VolumeSnapshot db-snap',
      '1/2 VolumeSnapshot both',
      '2/0 VolumeSnapshotContent no-ref',
    ]);
    expect(report.summary).toEqual({ objects: 4, snapshotObjects: 3, ignored: 1, errors: 3, warnings: 0 });
  });

  it('gives the same problems as the text output: <field>: <message>, and warnings', async () => {
    const args = ['bad/volume-group-snapshot-selector.yaml'];
    const text = await validate(args);
    const { report } = await reportOf(args);
    const fromReport = report.objects.flatMap((object) => [
      ...object.errors.map((error) => `${error.line}: ${error.field}: ${error.message}`),
      ...object.warnings.map((warning) => `${object.line}: warning: ${warning.message}`),
    ]);
    expect(text.problems.map((line) => line.replace(/^[^:]+:(\d+) \(document \d\) \S+ \S+: /, '$1: '))).toEqual(fromReport);
  });

  it('lists documents and List items that are not objects, as errors', async () => {
    const stdin = '--- just a string\n---\napiVersion: v1\nkind: List\nitems:\n  - [a, list]\n';
    const run = await validate(['-', '--output', 'json'], { stdin });
    const report = JSON.parse(run.stdout) as ValidateReport;
    expect(checkReport(report), JSON.stringify(checkReport.errors)).toBe(true);
    expect(report.nonObjects).toEqual([
      { file: '<stdin>', document: 1, item: null, line: 1, message: 'not a Kubernetes object (a string)' },
      { file: '<stdin>', document: 2, item: 0, line: 6, message: 'not a Kubernetes object (a list)' },
    ]);
    expect(report.summary).toEqual({ objects: 0, snapshotObjects: 0, ignored: 0, errors: 2, warnings: 0 });
    expect(run.code).toBe(1);
  });

  it('names stdin <stdin> and an unnamed object by its generateName', async () => {
    const stdin =
      'apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata: {generateName: nightly-}\nspec: {source: {persistentVolumeClaimName: db}}\n';
    const { report, code } = await reportOf(['-'], stdin);
    expect(report.files).toEqual([{ path: '<stdin>', documents: 1 }]);
    expect(report.objects.map(({ file, name, generateName, namespace }) => ({ file, name, generateName, namespace }))).toEqual([
      { file: '<stdin>', name: null, generateName: 'nightly-', namespace: null },
    ]);
    expect(code).toBe(0);
    const text = await validate(['-'], { stdin: stdin.replace('db}', 'db, volumeSnapshotContentName: c}') });
    expect(text.problems[0]?.startsWith('<stdin>:4 VolumeSnapshot nightly-*: spec.source: Invalid value:')).toBe(true);
  });

  it('has a schema that rejects what is not a report (so the check above can fail)', () => {
    const valid = {
      files: [],
      objects: [],
      nonObjects: [],
      summary: { objects: 0, snapshotObjects: 0, ignored: 0, errors: 0, warnings: 0 },
    };
    expect(checkReport(valid)).toBe(true);
    expect(checkReport({ files: [], objects: [], summary: valid.summary })).toBe(false);
    const nonObject = { file: 'a.yaml', document: 1, item: null, line: 1, message: 'not a Kubernetes object (a string)' };
    expect(checkReport({ ...valid, nonObjects: [nonObject] })).toBe(true);
    expect(checkReport({ ...valid, nonObjects: [{ ...nonObject, document: 0 }] })).toBe(false);
    expect(checkReport({ ...valid, summary: { ...valid.summary, errors: -1 } })).toBe(false);
    const object = {
      file: 'a.yaml',
      document: 1,
      item: null,
      line: 1,
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: null,
      name: 'x',
      generateName: null,
      operation: 'CREATE',
      errors: [],
      warnings: [],
    };
    expect(checkReport({ ...valid, objects: [object] })).toBe(false);
    expect(checkReport({ ...valid, objects: [{ ...object, kind: 'VolumeSnapshot' }] })).toBe(true);
    const error = { field: 'spec', reason: 'FieldValueInvalid', message: 'Invalid value: 1: no', rule: 'schema' };
    expect(checkReport({ ...valid, objects: [{ ...object, kind: 'VolumeSnapshot', errors: [error] }] })).toBe(false);
  });

  it("compiles in the webhook's own strict schema set, which loads every schema of the directory", () => {
    expect(() => loadSchemas().validator('validate-report.schema.json')).not.toThrow();
  });
});
