/**
 * The production build (tools/bundle.ts), laid out as the image lays it out: dist/, schemas/ and
 * package.json, and no node_modules. It must run every mode from there, and its validators,
 * compiled ahead, must judge exactly as the ones Ajv compiles at start.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, precompiledValidators } from '../../tools/bundle.ts';
import { schemaValidators } from '../../src/schema-validators.ts';
import { groupsFromCrds, SNAPSHOT_CLASSES } from '../../testkit/api-groups.ts';
import { reviewFrom } from '../../testkit/captures.ts';
import { createTestCertificates } from '../../testkit/certificates.ts';
import { volumeSnapshotClass } from '../../testkit/class-fixtures.ts';
import { http2Client } from '../../testkit/clients.ts';
import { FakeApiServer } from '../../testkit/fake-api-server.ts';
import { REPO, startWebhook } from '../support/webhook-process.ts';

const image = mkdtempSync(join(tmpdir(), 'snapshot-webhook-image-'));
const entry = join(image, 'dist', 'main.js');

beforeAll(async () => {
  await bundle(join(image, 'dist'));
  cpSync(join(REPO, 'schemas'), join(image, 'schemas'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(image, 'package.json'));
}, 60_000);
afterAll(() => rmSync(image, { recursive: true, force: true }));

function run(args: readonly string[]) {
  return spawnSync(process.execPath, [entry, ...args], { cwd: image, encoding: 'utf8', env: { PATH: process.env.PATH } });
}

async function readyz(port: number): Promise<void> {
  for (let tries = 0; tries < 500; tries += 1) {
    if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('not ready within 10 s');
}

describe('the production build, with no node_modules beside it', () => {
  it('prints its version and checks manifests', () => {
    expect(run(['--version']).stdout).toBe(
      `${(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version}\n`,
    );
    const manifest = join(image, 'two-sources.yaml');
    writeFileSync(
      manifest,
      'apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata: {name: s, namespace: apps}\n' +
        'spec: {source: {persistentVolumeClaimName: db, volumeSnapshotContentName: c}}\n',
    );
    expect(run(['check', '--help']).stdout).toMatch(/^Usage: snapshot-webhook check/);
    const validated = run(['validate', manifest]);
    expect(validated.status).toBe(1);
    expect(validated.stdout).toMatch(/exactly one of/);
  });

  it('serves from certificate files, lists the classes of a cluster, and refuses a second default class', async () => {
    const api = await FakeApiServer.start({ groups: groupsFromCrds('v8.6.0') });
    api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass('csi-hostpath-snapclass', 'hostpath.csi.k8s.io', { isDefault: 'true' }));
    const certificates = await createTestCertificates();
    writeFileSync(join(image, 'tls.crt'), certificates.cert);
    writeFileSync(join(image, 'tls.key'), certificates.key, { mode: 0o600 });
    const kubeconfig = await api.writeKubeconfig(join(image, 'kubeconfig'));
    const flags = [
      '--tls-cert-file',
      join(image, 'tls.crt'),
      '--tls-private-key-file',
      join(image, 'tls.key'),
      '--kubeconfig',
      kubeconfig,
      '--drain-seconds',
      '0',
    ];
    const webhook = await startWebhook(flags, {}, entry);
    const client = http2Client(`https://localhost:${webhook.admissionPort}`, certificates.caCert);
    try {
      await readyz(webhook.metricsPort);
      const second = reviewFrom('01-', (body) => {
        body.request.name = 'fast';
        (body.request.object as { metadata: { name: string } }).metadata.name = 'fast';
      });
      const answer = JSON.parse((await client.post('/validate', JSON.stringify(second))).text) as {
        response: { allowed: boolean; status: { message: string } };
      };
      expect(answer.response.allowed).toBe(false);
      expect(answer.response.status.message).toMatch(/csi-hostpath-snapclass/);
    } finally {
      client.close();
      webhook.child.kill('SIGTERM');
      expect(await webhook.exited).toBe(0);
      await api.close();
    }
  });
});

describe('validators compiled ahead', () => {
  it('give the same verdict and the same errors as Ajv compiling at start, for every schema', async () => {
    const file = join(image, 'validators.mjs');
    writeFileSync(
      file,
      precompiledValidators()
        .replace(/require\("ajv\//g, `require("${REPO}node_modules/ajv/`)
        .replace(/^/, "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n"),
    );
    const ahead = (
      (await import(pathToFileURL(file).href)) as { schemaValidators: () => (id: string) => ValidateFunction | undefined }
    ).schemaValidators();
    const ids = readdirSync(join(REPO, 'schemas')).filter((name) => name.endsWith('.schema.json'));
    const raw = new Map(ids.map((id) => [id, JSON.parse(readFileSync(join(REPO, 'schemas', id), 'utf8')) as Record<string, unknown>]));
    const atStart = schemaValidators(raw);
    const samples: unknown[] = [
      {},
      [],
      'x',
      null,
      { metadata: { name: '' }, spec: { source: {} } },
      reviewFrom('02-'),
      reviewFrom('02-').request.object,
      { port: -1, logLevel: 'loud' },
    ];
    for (const id of ids) {
      const [a, b] = [ahead(id), atStart(id)];
      expect(a, id).toBeTypeOf('function');
      for (const sample of samples) {
        expect(a?.(sample), `${id} ${JSON.stringify(sample).slice(0, 80)}`).toBe(b?.(sample));
        expect(a?.errors ?? null).toEqual(b?.errors ?? null);
      }
    }
  });
});
