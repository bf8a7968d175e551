/**
 * The `helm test` pod: its wiring (URL, CA, labels) from the rendered chart, and its script run
 * for real (exactly as rendered) against a fake webhook speaking HTTPS with a CA made here.
 */
import { spawn } from 'node:child_process';
import { trackChild } from '../support/children.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERT_MANAGER_VALUES, FULLNAME, NAMESPACE, render, selects, type Rendered } from './chart.ts';
import type { Certificate, Container, Pod } from './k8s-types.ts';

interface Pem {
  readonly key: string;
  readonly cert: string;
}

async function makeCa(name: string): Promise<Pem> {
  const ca = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { key: ca.private, cert: ca.cert };
}

async function makeServing(ca: Pem): Promise<Pem> {
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
    ],
  });
  return { key: leaf.private, cert: leaf.cert };
}

interface Review {
  apiVersion: string;
  kind: string;
  request: { uid: string; namespace: string; object: { spec: { source: Record<string, string> } } };
}

type Behaviour = 'spec' | 'allowAll' | 'denyWith400' | 'wrongUid';

/** Answers as the product spec says (or deliberately not), and records what it received. */
function answer(review: Review, behaviour: Behaviour): unknown {
  const sources = Object.keys(review.request.object.spec.source);
  const uid = behaviour === 'wrongUid' ? 'not-the-request-uid' : review.request.uid;
  if (sources.length === 1 || behaviour === 'allowAll') return { ...envelope(review), response: { uid, allowed: true } };
  const message = 'spec.source: Invalid value: {...}: exactly one of persistentVolumeClaimName and volumeSnapshotContentName must be set';
  const code = behaviour === 'denyWith400' ? 400 : 422;
  return { ...envelope(review), response: { uid, allowed: false, status: { code, reason: 'Invalid', message } } };
}

function envelope(review: Review): { apiVersion: string; kind: string } {
  return { apiVersion: review.apiVersion, kind: review.kind };
}

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly contentType: string | undefined;
  readonly review: Review;
}

async function startWebhook(serving: Pem, behaviour: Behaviour): Promise<{ server: Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer({ key: serving.key, cert: serving.cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
      received.push({ method: request.method, url: request.url, contentType: request.headers['content-type'], review });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer(review, behaviour)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, received };
}

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** Runs the pod's container command and script as rendered, with some env values replaced. */
function runTestContainer(container: Container, env: Record<string, string>): Promise<Run> {
  const [program, ...options] = container.command ?? [];
  expect(program).toBe('node');
  const rendered = Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value ?? '']));
  return new Promise((resolve, reject) => {
    const child = trackChild(
      spawn(process.execPath, [...options, ...(container.args ?? [])], {
        env: { PATH: process.env.PATH ?? '', ...rendered, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function testContainer(pod: Pod): Container {
  const [container] = pod.spec.containers;
  if (!container) throw new Error('test pod without container');
  return container;
}

/** The rendered URL with the Service's host swapped for the fake webhook. */
function localUrl(container: Container, port: number): string {
  const url = new URL(container.env?.find((variable) => variable.name === 'WEBHOOK_URL')?.value ?? '');
  url.hostname = 'localhost';
  url.port = String(port);
  return url.toString();
}

describe('helm test pod', () => {
  let ca: Pem;
  let otherCa: Pem;
  let serving: Pem;
  let caFile: string;
  let selfManaged: Rendered;
  let certManager: Rendered;
  let existingSecret: Rendered;
  const servers: Server[] = [];

  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([makeCa('snapshot-webhook test CA'), makeCa('some other CA')]);
    serving = await makeServing(ca);
    caFile = join(await mkdtemp(join(tmpdir(), 'snapshot-webhook-ca-')), 'ca.crt');
    await writeFile(caFile, ca.cert);
    const caBundle = Buffer.from(ca.cert).toString('base64');
    [selfManaged, certManager, existingSecret] = await Promise.all([
      render(),
      render(CERT_MANAGER_VALUES),
      render({ certificates: { mode: 'existingSecret', existingSecret: { name: 'tls', caBundle } } }),
    ]);
  });

  afterAll(() => {
    for (const server of servers) server.close();
  });

  const webhook = async (behaviour: Behaviour, certificate: Pem = serving): ReturnType<typeof startWebhook> => {
    const started = await startWebhook(certificate, behaviour);
    servers.push(started.server);
    return started;
  };

  it('is a test hook that calls the Service at the webhook path, port and timeout', () => {
    const [pod, ...others] = selfManaged.testPods;
    if (!pod) throw new Error('no test pod');
    expect(others).toEqual([]);
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    const env = testContainer(pod).env ?? [];
    expect(env.find((variable) => variable.name === 'WEBHOOK_URL')?.value).toBe(
      `https://${selfManaged.service.metadata.name}.${NAMESPACE}.svc:443/validate?timeout=3s`,
    );
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  it('is not selected by the Service, so it never receives admission traffic', () => {
    for (const rendered of [selfManaged, certManager, existingSecret]) {
      for (const pod of rendered.testPods)
        expect(selects({ matchLabels: rendered.service.spec.selector }, pod.metadata.labels)).toBe(false);
    }
  });

  it('trusts only ca.crt of the TLS Secret (never mounts the key) in selfManaged and certManager modes', () => {
    const serving = certManager.one<Certificate>('Certificate', FULLNAME);
    for (const [rendered, secretName] of [
      [selfManaged, `${FULLNAME}-tls`],
      [certManager, serving.spec.secretName],
    ] as const) {
      const [pod] = rendered.testPods;
      if (!pod) throw new Error('no test pod');
      const container = testContainer(pod);
      const caPath = container.env?.find((variable) => variable.name === 'WEBHOOK_CA_FILE')?.value ?? '';
      const mount = container.volumeMounts?.find((candidate) => candidate.mountPath === dirname(caPath));
      const volume = pod.spec.volumes?.find((candidate) => candidate.name === mount?.name);
      expect(volume?.secret).toEqual({ secretName, items: [{ key: 'ca.crt', path: 'ca.crt' }] });
    }
  });

  it('passes against a webhook that answers as specified, sending real AdmissionReviews', async () => {
    const { port, received } = await webhook('spec');
    const container = testContainer(selfManaged.testPods[0] as Pod);
    const run = await runTestContainer(container, { WEBHOOK_URL: localUrl(container, port), WEBHOOK_CA_FILE: caFile });
    expect(run.output).toMatch(/PASS a valid VolumeSnapshot is allowed/);
    expect(run.output).toMatch(/PASS a VolumeSnapshot with both sources is denied with 422/);
    expect(run.code).toBe(0);
    expect(received).toHaveLength(2);
    for (const { method, url, contentType, review } of received) {
      expect({ method, url, contentType }).toEqual({ method: 'POST', url: '/validate?timeout=3s', contentType: 'application/json' });
      expect(review).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { namespace: NAMESPACE } });
    }
    expect(new Set(received.map(({ review }) => review.request.uid)).size).toBe(2);
  });

  it('passes with the CA given as caBundle in existingSecret mode', async () => {
    const { port } = await webhook('spec');
    const container = testContainer(existingSecret.testPods[0] as Pod);
    expect(container.env?.some((variable) => variable.name === 'WEBHOOK_CA_FILE')).toBe(false);
    const run = await runTestContainer(container, { WEBHOOK_URL: localUrl(container, port) });
    expect(run.output).not.toContain('FAIL');
    expect(run.code).toBe(0);
  });

  it.each([
    ['allows the invalid snapshot', 'allowAll', 'FAIL a VolumeSnapshot with both sources'],
    ['denies without code 422', 'denyWith400', 'FAIL a VolumeSnapshot with both sources'],
    ['answers with another uid', 'wrongUid', 'FAIL a valid VolumeSnapshot is allowed'],
  ] as const)('fails when the webhook %s', async (_name, behaviour, failure) => {
    const { port } = await webhook(behaviour);
    const container = testContainer(selfManaged.testPods[0] as Pod);
    const run = await runTestContainer(container, { WEBHOOK_URL: localUrl(container, port), WEBHOOK_CA_FILE: caFile });
    expect(run.output).toContain(failure);
    expect(run.code).toBe(1);
  });

  it('fails when the webhook’s certificate is not from the trusted CA', async () => {
    const { port, received } = await webhook('spec', await makeServing(otherCa));
    const container = testContainer(selfManaged.testPods[0] as Pod);
    const run = await runTestContainer(container, { WEBHOOK_URL: localUrl(container, port), WEBHOOK_CA_FILE: caFile });
    expect(run.output).toMatch(/FAIL a valid VolumeSnapshot is allowed: .*(certificate|signature)/i);
    expect(run.code).toBe(1);
    expect(received).toEqual([]);
  });
});
