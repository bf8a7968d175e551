import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../../support/temporary-directory.ts';
import { userDirectory } from '../../../src/cli/io.ts';
import { VALIDATE_USAGE } from '../../../src/cli/validate/args.ts';
import { expectLinesStartingWith, validate } from './run-validate.ts';

/** What `validate` reads (files, directories, stdin, Lists) and how it fails on what it cannot read. */
const BOTH_SOURCES = `apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: piped
  namespace: ci
spec:
  source:
    persistentVolumeClaimName: a
    volumeSnapshotContentName: b
`;

describe('validate: inputs', () => {
  it('walks a directory recursively: YAML and JSON, sorted, hidden directories and other files skipped', async () => {
    const run = await validate(['good', '--output', 'json']);
    const report = JSON.parse(run.stdout) as { files: { path: string; documents: number }[] };
    expect(report.files).toEqual([
      { path: 'good/classes.yaml', documents: 2 },
      { path: 'good/group/volume-group-snapshot-contents.json', documents: 1 },
      { path: 'good/group/volume-group-snapshots.yaml', documents: 2 },
      { path: 'good/other-kinds.yaml', documents: 2 },
      { path: 'good/volume-snapshot-contents.yaml', documents: 1 },
      { path: 'good/volume-snapshots.yaml', documents: 2 },
    ]);
    expect(run.code).toBe(0);
  });

  it('reads stdin for -, named <stdin>', async () => {
    const run = await validate(['-'], { stdin: BOTH_SOURCES });
    expectLinesStartingWith(run.problems, [
      '<stdin>:7 VolumeSnapshot ci/piped: spec.source: Invalid value: {"persistentVolumeClaimName":"a","volumeSnapshotContentName":"b"}: exactly one of',
    ]);
    expect(run.code).toBe(1);
  });

  it('reads stdin next to files', async () => {
    const run = await validate(['good/volume-snapshots.yaml', '-'], { stdin: BOTH_SOURCES });
    expect(run.summary).toBe('3 objects checked (3 snapshot objects, 0 other kinds ignored): 1 error, 0 warnings');
  });

  it('unrolls List kinds (v1/List and VolumeSnapshotContentList), each item at its own line', async () => {
    const run = await validate(['list.yaml']);
    expectLinesStartingWith(run.problems, [
      'list.yaml:26 (document 1) VolumeSnapshot default/both: spec.source: Invalid value:',
      'list.yaml:37 (document 2) VolumeSnapshotContent no-ref: spec.volumeSnapshotRef.name: Required value:',
      'list.yaml:37 (document 2) VolumeSnapshotContent no-ref: spec.volumeSnapshotRef.namespace: Required value:',
    ]);
    // The List objects themselves are not counted, their items are: 3 snapshot objects and a ConfigMap.
    expect(run.summary).toBe('4 objects checked (3 snapshot objects, 1 other kind ignored): 3 errors, 0 warnings');
  });

  it('counts other kinds and ignores them, even with fields that would fail the snapshot rules', async () => {
    const run = await validate(['good/other-kinds.yaml']);
    expect(run.problems).toEqual([]);
    expect(run.summary).toBe('2 objects checked (0 snapshot objects, 2 other kinds ignored): 0 errors, 0 warnings');
    expect(run.code).toBe(0);
  });

  it('skips empty documents, follows anchors and warns about unknown versions', async () => {
    const stdin = [
      'apiVersion: snapshot.storage.k8s.io/v1alpha1',
      'kind: VolumeSnapshot',
      'metadata: {name: old, namespace: default}',
      'spec: {}',
      '---',
      '# an empty document',
      '---',
      'shared: &pvc {persistentVolumeClaimName: db-data}',
      'apiVersion: snapshot.storage.k8s.io/v1',
      'kind: VolumeSnapshot',
      'metadata: {name: anchored, namespace: default}',
      'spec:',
      '  source: *pvc',
      '  volumeSnapshotClassName: ""',
      '',
    ].join('\n');
    const run = await validate(['-'], { stdin });
    expect(run.problems).toEqual([
      '<stdin>:1 (document 1) VolumeSnapshot default/old: warning: snapshot.storage.k8s.io/v1alpha1 is not a ' +
        'version of VolumeSnapshot (v1, v1beta1): not checked',
      '<stdin>:14 (document 3) VolumeSnapshot default/anchored: spec.volumeSnapshotClassName: Invalid value: "": ' + 'must not be empty',
    ]);
    expect(run.summary).toBe('2 objects checked (2 snapshot objects, 0 other kinds ignored): 1 error, 1 warning');
  });

  it('reports documents and List items that are not objects as errors, in the order of the file (exit 1)', async () => {
    const stdin = [
      '--- just a string',
      '---',
      '- a list',
      '---',
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - apiVersion: snapshot.storage.k8s.io/v1',
      '    kind: VolumeSnapshot',
      '    metadata: {name: both, namespace: default}',
      '    spec: {source: {persistentVolumeClaimName: a, volumeSnapshotContentName: b}}',
      '  - 42',
      '---',
      'null',
      '',
    ].join('\n');
    const run = await validate(['-'], { stdin });
    expectLinesStartingWith(run.problems, [
      '<stdin>:1 (document 1): not a Kubernetes object (a string)',
      '<stdin>:3 (document 2): not a Kubernetes object (a list)',
      '<stdin>:11 (document 3) VolumeSnapshot default/both: spec.source: Invalid value:',
      '<stdin>:12 (document 3) items[1]: not a Kubernetes object (a number)',
    ]);
    // An explicit null is an empty document: kubectl skips it too.
    expect(run.summary).toBe('1 object checked (1 snapshot object, 0 other kinds ignored): 4 errors, 0 warnings');
    expect(run.code).toBe(1);
  });

  it('leaves the document number out of a non-object in a single-document file', async () => {
    const run = await validate(['-'], { stdin: '"apiVersion: v1"\n' });
    expect(run.problems).toEqual(['<stdin>:1: not a Kubernetes object (a string)']);
    expect(run.code).toBe(1);
  });

  it('numbers documents in a multi-document file and leaves the number out for a single document', async () => {
    const run = await validate(['bad/volume-snapshot-source.yaml', 'bad/volume-snapshot-content-source.yaml']);
    expect(run.problems.map((line) => line.slice(0, line.indexOf(' Volume')))).toEqual([
      'bad/volume-snapshot-source.yaml:8 (document 1)',
      'bad/volume-snapshot-source.yaml:18 (document 2)',
      'bad/volume-snapshot-source.yaml:25 (document 3)',
      'bad/volume-snapshot-content-source.yaml:9',
    ]);
  });
});

describe('validate: unreadable input and usage (exit 2)', () => {
  const inDirectory = temporaryDirectory('validate-inputs-');
  beforeAll(async () => {
    await writeFile(inDirectory('broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\ndata: {a: 1\n---\nb: 2\n');
    await writeFile(inDirectory('twice.yaml'), 'kind: A\nkind: B\n');
    await writeFile(inDirectory('empty.json'), '');
    await mkdir(inDirectory('nothing'));
    await writeFile(inDirectory('nothing', 'notes.txt'), 'kind: VolumeSnapshot\n');
    await writeFile(inDirectory('unresolved.yaml'), 'kind: ConfigMap\n---\ndata:\n  a: &x 1\n  b: *y\n');
    // Each alias level multiplies (10 × 10 × 10 values): yaml's bound of 100 is crossed at the ninth *b.
    const laughs = ['a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]'];
    await writeFile(inDirectory('laughs.yaml'), [...laughs, 'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', ''].join('\n'));
  });
  afterAll(async () => {});

  it('reports a YAML syntax error with the file and line:column, and checks nothing', async () => {
    const run = await validate(['broken.yaml', 'twice.yaml'], { cwd: inDirectory() });
    expect(run).toMatchObject({
      stderr:
        'snapshot-webhook validate: broken.yaml:4:1: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }\n' +
        'snapshot-webhook validate: twice.yaml:2:1: YAML syntax error: Map keys must be unique\n',
      stdout: '',
      code: 2,
    });
  });

  it('reports an alias error with the file and the line:column of the alias, and checks nothing', async () => {
    const run = await validate(['unresolved.yaml', 'laughs.yaml', 'twice.yaml'], { cwd: inDirectory() });
    expect(run).toMatchObject({
      stderr:
        'snapshot-webhook validate: unresolved.yaml:5:6: YAML alias error: Unresolved alias (the anchor must be set before the alias): y\n' +
        'snapshot-webhook validate: laughs.yaml:3:37: YAML alias error: Excessive alias count indicates a resource exhaustion attack\n' +
        'snapshot-webhook validate: twice.yaml:2:1: YAML syntax error: Map keys must be unique\n',
      stdout: '',
      code: 2,
    });
  });

  it('reports a missing file, and a missing --against file', async () => {
    const run = await validate(['good', 'nope.yaml', '--against', 'old/nope.yaml']);
    expect(run).toMatchObject({
      stderr:
        'snapshot-webhook validate: cannot read nope.yaml: no such file or directory\n' +
        'snapshot-webhook validate: cannot read old/nope.yaml: no such file or directory\n',
      stdout: '',
      code: 2,
    });
  });

  it('takes an empty file as no objects, and notes a directory without manifests (exit 0)', async () => {
    const run = await validate(['empty.json', 'nothing'], { cwd: inDirectory() });
    expect(run).toMatchObject({
      stderr: 'snapshot-webhook validate: note: no .yaml, .yml, .json files under nothing\n',
      stdout: '0 objects checked (0 snapshot objects, 0 other kinds ignored): 0 errors, 0 warnings\n',
      code: 0,
    });
  });

  it('reports a directory that cannot be listed, goes on with the other paths, and checks nothing', async () => {
    // Root may read any directory, so permissions cannot make readdir fail here; a path longer
    // than the system allows can (ENAMETOOLONG). mkdir -p and rm -rf work below it, Node's fs not.
    const deep = await mkdtemp(join(tmpdir(), 'validate-deep-'));
    const segment = 'd'.repeat(200);
    const tooDeep = join('tree', ...Array.from({ length: 22 }, () => segment));
    try {
      execFileSync('mkdir', ['-p', tooDeep], { cwd: deep });
      await writeFile(join(deep, 'tree', 'snapshots.yaml'), BOTH_SOURCES);
      const run = await validate(['tree', 'nope.yaml'], { cwd: deep });
      const problems = run.stderr.split('\n').filter((line) => line !== '');
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^snapshot-webhook validate: cannot read tree(\/d{200})+: file name too long$/);
      expect(problems[1]).toBe('snapshot-webhook validate: cannot read nope.yaml: no such file or directory');
      expect(run).toMatchObject({ stdout: '', code: 2 });
    } finally {
      execFileSync('rm', ['-rf', deep]);
    }
  });

  it.each([
    [[], 'no manifests given: name files or directories, or - to read stdin'],
    [['good', '--frobnicate'], 'unknown option --frobnicate'],
    [['good', '--output', 'yaml'], '--output must be text or json, not "yaml"'],
    [['good', '--kubeconfig'], '--kubeconfig needs a value'],
    [['good', '--against='], '--against needs a path'],
    [['-', '--against', '-'], 'stdin (-) can be read only once'],
    [['good', '--prevent-volume-mode-conversion=maybe'], '--prevent-volume-mode-conversion takes true or false, not "maybe"'],
  ])('usage error for %j', async (args, message) => {
    const run = await validate(args);
    expect(run).toMatchObject({
      stderr: `snapshot-webhook validate: ${message}\nRun "snapshot-webhook validate --help" for usage.\n`,
      stdout: '',
      code: 2,
    });
  });

  it('prints the usage for --help and -h (exit 0)', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await validate([flag]);
      expect(run).toMatchObject({ stdout: VALIDATE_USAGE, code: 0 });
    }
    expect(VALIDATE_USAGE).toMatch(/^Usage: snapshot-webhook validate \[options\] <path>\.\.\. \| -\n/);
  });
});

describe('userDirectory', () => {
  it('is where npm was called from when npm runs the script, else the process directory', () => {
    expect(userDirectory({ npm_lifecycle_event: 'start', INIT_CWD: '/home/me/deploy' }, '/repo')).toBe('/home/me/deploy');
    expect(userDirectory({ INIT_CWD: '/home/me/deploy' }, '/repo')).toBe('/repo');
    expect(userDirectory({ npm_lifecycle_event: 'start', INIT_CWD: '' }, '/repo')).toBe('/repo');
    expect(userDirectory({}, '/repo')).toBe('/repo');
  });
});
