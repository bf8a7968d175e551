import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../../support/temporary-directory.ts';
import { parseAllDocuments } from 'yaml';
import { runAudit } from '../../../src/cli/audit/audit.ts';
import type { AuditReport } from '../../../src/cli/audit/report.ts';
import { RESOURCE_FAMILIES } from '../../../src/rules/table.ts';
import { loadSchemas } from '../../../src/schemas.ts';
import { groupFromCrds, groupsFromCrds, SNAPSHOT_GROUP } from '../../../testkit/api-groups.ts';
import type { CrdRelease } from '../../../testkit/api-groups.ts';
import { FakeApiServer } from '../../../testkit/fake-api-server.ts';
import type { GroupDefinition, JsonObject } from '../../../testkit/fake-api-server.ts';

/** `audit` against a fake kube-apiserver over HTTPS holding objects from test/fixtures/audit. */
const FIXTURES = new URL('../../fixtures/audit/', import.meta.url);
const checkReport = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(new URL('../../../schemas/audit-report.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>,
);

const inDirectory = temporaryDirectory('audit-');
let server: FakeApiServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function audit(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runAudit(args, {
    stdin: Readable.from([]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd: inDirectory(),
  });
  return { code, stdout, stderr };
}

/** The objects of fixture files, as a user would have applied them. */
function fixtureObjects(...files: readonly string[]): JsonObject[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, FIXTURES), 'utf8')).map((document) => document.toJS() as JsonObject),
  );
}

/** A cluster with these CRDs holding the fixtures' objects of the groups it serves; returns a kubeconfig. */
async function clusterWith(groups: readonly GroupDefinition[], objects: readonly JsonObject[]): Promise<string> {
  server = await FakeApiServer.start({ groups });
  for (const object of objects) store(server, groups, object);
  return server.writeKubeconfig(inDirectory(`kubeconfig-${server.port}`));
}

function store(api: FakeApiServer, groups: readonly GroupDefinition[], object: JsonObject): void {
  const [group = '', fixtureVersion = ''] = String(object.apiVersion).split('/');
  const family = RESOURCE_FAMILIES.find((candidate) => candidate.group === group && candidate.kind === object.kind);
  const served = groups.find((candidate) => candidate.name === group);
  if (family === undefined || served === undefined) return;
  // Stored once, whatever the version: the v7 CRDs serve group snapshots only at v1alpha1.
  const version = served.versions.includes(fixtureVersion) ? fixtureVersion : (served.versions[0] ?? '');
  const namespace = (object.metadata as { namespace?: string }).namespace;
  api.createObject({ group, version, plural: family.resource, namespace }, object);
}

async function reportOf(args: readonly string[]): Promise<{ report: AuditReport; code: number }> {
  const run = await audit([...args, '--output', 'json']);
  expect(run.stderr).toBe('');
  const report = JSON.parse(run.stdout) as AuditReport;
  expect(checkReport(report), JSON.stringify(checkReport.errors)).toBe(true);
  return { report, code: run.code };
}

/** The table rows whose first cells are these, columns split on runs of two or more spaces. */
function rowsStarting(stdout: string, ...first: readonly string[]): string[][] {
  return stdout
    .split('\n')
    .map((line) => line.split(/ {2,}/))
    .filter((cells) => first.every((cell, index) => cells[index] === cell));
}

function rowsAbout(stdout: string, kind: string, name: string): string[][] {
  return rowsStarting(stdout, kind, name);
}

const SNAPSHOT_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';
const GROUP_ANNOTATION = 'groupsnapshot.storage.kubernetes.io/is-default-class';
const EVERY_FIXTURE = ['clean.yaml', 'violations.yaml', 'warnings.yaml'];

describe('audit', () => {
  it('names every invalid object and every driver with two defaults in a table, and exits 1', async () => {
    const kubeconfig = await clusterWith(groupsFromCrds('v8.6.0'), fixtureObjects(...EVERY_FIXTURE));
    const run = await audit(['--kubeconfig', kubeconfig]);
    expect(run).toMatchObject({ stderr: '', code: 1 });
    expect(run.stdout.split('\n')[0]).toBe(`Audit of ${server?.url ?? ''}`);
    expect(rowsStarting(run.stdout, 'RESOURCE')).toEqual([['RESOURCE', 'VERSION', 'OBJECTS']]);
    expect(rowsStarting(run.stdout, 'volumesnapshots.snapshot.storage.k8s.io')).toEqual([
      ['volumesnapshots.snapshot.storage.k8s.io', 'v1', '5'],
    ]);
    expect(rowsStarting(run.stdout, 'volumegroupsnapshotclasses.groupsnapshot.storage.k8s.io')).toEqual([
      ['volumegroupsnapshotclasses.groupsnapshot.storage.k8s.io', 'v1', '2'],
    ]);
    expect(rowsAbout(run.stdout, 'VolumeSnapshot', 'default/both-sources')).toEqual([
      [
        'VolumeSnapshot',
        'default/both-sources',
        'error',
        'spec.source',
        'Invalid value: {"persistentVolumeClaimName":"db-data","volumeSnapshotContentName":"imported-content"}: ' +
          'exactly one of persistentVolumeClaimName and volumeSnapshotContentName must be set: persistentVolumeClaimName ' +
          'to snapshot a PVC, or volumeSnapshotContentName to bind a pre-provisioned VolumeSnapshotContent',
      ],
    ]);
    expect(rowsAbout(run.stdout, 'VolumeSnapshot', 'default/empty-class')).toEqual([
      ['VolumeSnapshot', 'default/empty-class', 'error', 'spec.volumeSnapshotClassName', 'Invalid value: "": must not be empty'],
    ]);
    const rowHeads = (kind: string, name: string): string[][] => rowsAbout(run.stdout, kind, name).map((cells) => cells.slice(0, 4));
    expect(rowHeads('VolumeSnapshotContent', 'ref-without-namespace')).toEqual([
      ['VolumeSnapshotContent', 'ref-without-namespace', 'error', 'spec.volumeSnapshotRef.namespace'],
    ]);
    expect(rowHeads('VolumeGroupSnapshot', 'shop/bad-selector')).toEqual([
      ['VolumeGroupSnapshot', 'shop/bad-selector', 'error', 'spec.source.selector.matchExpressions[0].values'],
    ]);
    expect(rowHeads('VolumeGroupSnapshotContent', 'both-handles')).toEqual([
      ['VolumeGroupSnapshotContent', 'both-handles', 'error', 'spec.source'],
    ]);
    // The duplicates are reported per driver, naming every default, not as an error of each class.
    expect(rowHeads('VolumeSnapshotClass', 'hostpath.csi.k8s.io')).toEqual([
      [
        'VolumeSnapshotClass',
        'hostpath.csi.k8s.io',
        'csi-hostpath-snapclass,fast',
        expect.stringMatching(/^driver "hostpath.csi.k8s.io" has 2 default VolumeSnapshotClasses/) as string,
      ],
    ]);
    expect(rowHeads('VolumeGroupSnapshotClass', 'hostpath.csi.k8s.io')).toEqual([
      [
        'VolumeGroupSnapshotClass',
        'hostpath.csi.k8s.io',
        'csi-hostpath-groupsnapclass,group-fast',
        expect.stringMatching(/^driver "hostpath.csi.k8s.io" has 2 default VolumeGroupSnapshotClasses/) as string,
      ],
    ]);
    expect(rowsAbout(run.stdout, 'VolumeSnapshotClass', 'fast')).toEqual([]);
    // Clean objects are counted, not listed.
    for (const clean of ['default/db-snap', 'default/imported', 'imported-content', 'shop/app-group', 'app-group-content', 'ebs-default']) {
      expect(run.stdout).not.toMatch(new RegExp(`^\\S+ +${clean} `, 'm'));
    }
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(
      '5 errors in 5 objects, 2 drivers with more than one default class, 3 warnings; 19 objects checked in 7 resources',
    );
  });

  it('says what goes wrong with two defaults and how to keep one, naming the oldest first', async () => {
    server = await FakeApiServer.start({ groups: [groupFromCrds('v8.6.0', SNAPSHOT_GROUP)] });
    const classes = { group: SNAPSHOT_GROUP, version: 'v1', plural: 'volumesnapshotclasses' };
    const defaultClass = (name: string): JsonObject => ({
      metadata: { name, annotations: { [SNAPSHOT_ANNOTATION]: 'true' } },
      driver: 'hostpath.csi.k8s.io',
      deletionPolicy: 'Delete',
    });
    server.createObject(classes, defaultClass('zz-original'));
    // creationTimestamp has whole seconds: the next class must be created in a later one.
    const second = new Date().toISOString().slice(0, 19);
    while (new Date().toISOString().slice(0, 19) === second) await new Promise((resolve) => setTimeout(resolve, 20));
    server.createObject(classes, defaultClass('added-later'));
    server.createObject(classes, defaultClass('also-later'));
    const { report, code } = await reportOf(['--kubeconfig', await server.writeKubeconfig(inDirectory('kubeconfig-oldest'))]);
    expect(code).toBe(1);
    expect(report.duplicateDefaults).toEqual([
      {
        kind: 'VolumeSnapshotClass',
        driver: 'hostpath.csi.k8s.io',
        annotation: SNAPSHOT_ANNOTATION,
        classes: ['zz-original', 'added-later', 'also-later'],
        message:
          'driver "hostpath.csi.k8s.io" has 3 default VolumeSnapshotClasses: "zz-original", "added-later", "also-later". ' +
          "The snapshot controller refuses to choose between them: every VolumeSnapshot of this driver's volumes that " +
          'names no spec.volumeSnapshotClassName fails. To keep "zz-original" (the oldest) as the default, remove the ' +
          `annotation from the others: kubectl annotate volumesnapshotclass added-later ${SNAPSHOT_ANNOTATION}-; ` +
          `kubectl annotate volumesnapshotclass also-later ${SNAPSHOT_ANNOTATION}-`,
      },
    ]);
  });

  it('reports the same as JSON that matches its schema', async () => {
    const kubeconfig = await clusterWith(groupsFromCrds('v8.6.0'), fixtureObjects(...EVERY_FIXTURE));
    const { report, code } = await reportOf(['--kubeconfig', kubeconfig]);
    expect(code).toBe(1);
    expect(report.server).toBe(server?.url);
    expect(report.resources.map(({ resource, version, objects }) => `${resource} ${String(version)} ${objects}`)).toEqual([
      'volumesnapshots v1 5',
      'volumesnapshotcontents v1 2',
      'volumesnapshotclasses v1 5',
      'volumegroupsnapshots v1 3',
      'volumegroupsnapshotcontents v1 2',
      'volumegroupsnapshotclasses v1 2',
      'persistentvolumeclaims v1 0',
    ]);
    expect(report.notes).toEqual([]);
    const found = report.objects.map((object) => ({
      object: `${object.apiVersion} ${object.kind} ${object.namespace ?? '-'}/${object.name}`,
      errors: object.errors.map((error) => `${error.field} ${error.reason} ${error.rule}`),
      warnings: object.warnings.map((warning) => warning.rule),
    }));
    expect(found).toEqual([
      {
        object: 'snapshot.storage.k8s.io/v1 VolumeSnapshot default/both-sources',
        errors: ['spec.source FieldValueInvalid volumesnapshot-source'],
        warnings: [],
      },
      {
        object: 'snapshot.storage.k8s.io/v1 VolumeSnapshot default/empty-class',
        errors: ['spec.volumeSnapshotClassName FieldValueInvalid volumesnapshot-class-name'],
        warnings: [],
      },
      { object: 'snapshot.storage.k8s.io/v1 VolumeSnapshot default/nowhere', errors: [], warnings: ['volumesnapshot-class-missing'] },
      {
        object: 'snapshot.storage.k8s.io/v1 VolumeSnapshotContent -/ref-without-namespace',
        errors: ['spec.volumeSnapshotRef.namespace FieldValueRequired volumesnapshotcontent-ref'],
        warnings: [],
      },
      {
        object: 'snapshot.storage.k8s.io/v1 VolumeSnapshotClass -/shouting',
        errors: [],
        warnings: ['volumesnapshotclass-default-annotation'],
      },
      {
        object: 'groupsnapshot.storage.k8s.io/v1 VolumeGroupSnapshot shop/bad-selector',
        errors: ['spec.source.selector.matchExpressions[0].values FieldValueRequired volumegroupsnapshot-selector'],
        warnings: [],
      },
      {
        object: 'groupsnapshot.storage.k8s.io/v1 VolumeGroupSnapshot shop/everything',
        errors: [],
        warnings: ['volumegroupsnapshot-empty-selector'],
      },
      {
        object: 'groupsnapshot.storage.k8s.io/v1 VolumeGroupSnapshotContent -/both-handles',
        errors: ['spec.source FieldValueInvalid volumegroupsnapshotcontent-source'],
        warnings: [],
      },
    ]);
    expect(report.duplicateDefaults.map(({ kind, driver, annotation, classes }) => ({ kind, driver, annotation, classes }))).toEqual([
      {
        kind: 'VolumeSnapshotClass',
        driver: 'hostpath.csi.k8s.io',
        annotation: SNAPSHOT_ANNOTATION,
        classes: ['csi-hostpath-snapclass', 'fast'],
      },
      {
        kind: 'VolumeGroupSnapshotClass',
        driver: 'hostpath.csi.k8s.io',
        annotation: GROUP_ANNOTATION,
        classes: ['csi-hostpath-groupsnapclass', 'group-fast'],
      },
    ]);
    expect(report.summary).toEqual({ objects: 19, invalidObjects: 5, errors: 5, warnings: 3, duplicateDefaults: 2, skippedResources: 0 });
    expect(() => loadSchemas().validator('audit-report.schema.json')).not.toThrow();
  });

  it('exits 0 on a clean cluster', async () => {
    const kubeconfig = await clusterWith(groupsFromCrds('v8.6.0'), fixtureObjects('clean.yaml'));
    const run = await audit(['--kubeconfig', kubeconfig]);
    expect(run.stdout).not.toMatch(/^KIND /m);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(
      '0 errors in 0 objects, 0 drivers with more than one default class, 0 warnings; 9 objects checked in 7 resources',
    );
    expect(run.code).toBe(0);
    const { report } = await reportOf(['--kubeconfig', kubeconfig]);
    expect({ objects: report.objects, duplicateDefaults: report.duplicateDefaults }).toEqual({ objects: [], duplicateDefaults: [] });
  });

  it('reports warnings without failing', async () => {
    const kubeconfig = await clusterWith(groupsFromCrds('v8.6.0'), fixtureObjects('clean.yaml', 'warnings.yaml'));
    const run = await audit(['--kubeconfig', kubeconfig]);
    expect(rowsAbout(run.stdout, 'VolumeSnapshotClass', 'shouting')).toEqual([
      [
        'VolumeSnapshotClass',
        'shouting',
        'warning',
        '-',
        `annotation ${SNAPSHOT_ANNOTATION} is "True", not "true": this class is not a default`,
      ],
    ]);
    expect(rowsAbout(run.stdout, 'VolumeSnapshot', 'default/nowhere')).toHaveLength(1);
    expect(rowsAbout(run.stdout, 'VolumeGroupSnapshot', 'shop/everything')).toHaveLength(1);
    expect(run.code).toBe(0);
  });

  it('skips the group kinds with a note when their CRDs are not installed, and audits the rest', async () => {
    const kubeconfig = await clusterWith([groupFromCrds('v8.6.0', SNAPSHOT_GROUP)], fixtureObjects(...EVERY_FIXTURE));
    const run = await audit(['--kubeconfig', kubeconfig]);
    const note =
      'note: groupsnapshot.storage.k8s.io is not served (its CRDs are not installed): ' +
      'VolumeGroupSnapshots, VolumeGroupSnapshotContents, VolumeGroupSnapshotClasses skipped';
    expect(rowsStarting(run.stdout, 'volumegroupsnapshots.groupsnapshot.storage.k8s.io')).toEqual([
      ['volumegroupsnapshots.groupsnapshot.storage.k8s.io', '-', 'skipped'],
    ]);
    expect(run.stdout).toContain(`\n${note}\n`);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(
      '3 errors in 3 objects, 1 driver with more than one default class, 2 warnings; 12 objects checked in 4 resources (3 skipped)',
    );
    expect(run.code).toBe(1);
    const { report } = await reportOf(['--kubeconfig', kubeconfig]);
    expect(report.resources.map((resource) => resource.version)).toEqual(['v1', 'v1', 'v1', null, null, null, 'v1']);
    expect(report.notes).toEqual([note.slice('note: '.length)]);
    expect(server?.requests.filter((request) => request.path.startsWith('/apis/groupsnapshot.storage.k8s.io/'))).toEqual([]);
  });

  it('reads group snapshots at the newest version served: v1alpha1 with the v7 CRDs', async () => {
    const release: CrdRelease = 'v7.0.2';
    const kubeconfig = await clusterWith(groupsFromCrds(release), fixtureObjects(...EVERY_FIXTURE));
    const { report, code } = await reportOf(['--kubeconfig', kubeconfig]);
    expect(report.resources.map((resource) => resource.version)).toEqual(['v1', 'v1', 'v1', 'v1alpha1', 'v1alpha1', 'v1alpha1', 'v1']);
    expect(report.objects.filter((object) => object.apiVersion.startsWith('groupsnapshot')).map((object) => object.name)).toEqual([
      'bad-selector',
      'everything',
      'both-handles',
    ]);
    expect(report.summary).toMatchObject({ errors: 5, duplicateDefaults: 2 });
    expect(code).toBe(1);
  });

  it('reads every page of each LIST and finds the same', async () => {
    const kubeconfig = await clusterWith(groupsFromCrds('v8.6.0'), fixtureObjects(...EVERY_FIXTURE));
    const whole = await reportOf(['--kubeconfig', kubeconfig]);
    const listsBefore = server?.requests.length ?? 0;
    const paged = await reportOf(['--kubeconfig', kubeconfig, '--page-size', '2']);
    expect(paged).toEqual(whole);
    const lists = (server?.requests ?? [])
      .slice(listsBefore)
      .filter((request) => request.path === '/apis/snapshot.storage.k8s.io/v1/volumesnapshots');
    // 5 snapshots, 2 a page: 3 requests, the later ones continuing the first.
    expect(lists.map((request) => [request.query.limit, request.query.continue !== undefined])).toEqual([
      ['2', false],
      ['2', true],
      ['2', true],
    ]);
  });

  it('exits 2 naming the server when the cluster cannot be reached', async () => {
    const kubeconfig = await clusterWith(groupsFromCrds('v8.6.0'), []);
    const url = server?.url ?? '';
    await server?.setUnreachable(true);
    const run = await audit(['--kubeconfig', kubeconfig]);
    expect(run.stderr).toMatch(new RegExp(`^snapshot-webhook audit: cannot read the snapshot objects of ${url}: .*ECONNREFUSED.*\\n$`));
    expect(run).toMatchObject({ stdout: '', code: 2 });
  });

  it('exits 2 naming a kubeconfig that cannot be used', async () => {
    const missing = inDirectory('no-such-kubeconfig');
    const run = await audit(['--kubeconfig', missing]);
    expect(run.stderr).toMatch(new RegExp(`^snapshot-webhook audit: invalid configuration: cannot load kubeconfig ${missing}: `));
    expect(run.code).toBe(2);
    const noContext = inDirectory('kubeconfig-without-context');
    await writeFile(noContext, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    const relative = await audit(['--kubeconfig', 'kubeconfig-without-context']);
    expect(relative).toMatchObject({
      stderr: `snapshot-webhook audit: invalid configuration: cannot use kubeconfig ${noContext}: it sets no current-context\n`,
      code: 2,
    });
  });

  it('exits 2 without --kubeconfig outside a cluster', async () => {
    const run = await audit([]);
    expect(run).toMatchObject({
      stderr:
        'snapshot-webhook audit: no --kubeconfig given and not running in a cluster (KUBERNETES_SERVICE_HOST is not set): ' +
        'name the cluster with --kubeconfig <file>\n',
      stdout: '',
      code: 2,
    });
  });

  it('exits 2 on a wrong command line, 0 with the usage for --help', async () => {
    for (const [args, message] of [
      [['--output', 'yaml'], '--output must be table or json, not "yaml"'],
      [['--page-size=0'], '--page-size must be a whole number from 1 to 999999, not "0"'],
      [['--kubeconfig'], '--kubeconfig needs a value'],
      [['--watch'], 'unknown option --watch'],
      [['snapshots.yaml'], 'unexpected argument "snapshots.yaml": audit reads a cluster, not files'],
    ] as const) {
      const run = await audit(args);
      expect(run).toMatchObject({
        stderr: `snapshot-webhook audit: ${message}\nRun "snapshot-webhook audit --help" for usage.\n`,
        code: 2,
      });
    }
    const help = await audit(['--help']);
    expect(help.stdout).toMatch(/^Usage: snapshot-webhook audit \[--kubeconfig <file>\] \[--output table\|json\]\n/);
    expect(help.code).toBe(0);
  });
});
