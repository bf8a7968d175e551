/**
 * `snapshot-webhook check` against the fake API server, which calls a real webhook process over
 * HTTPS the way kube-apiserver does (testkit/fake-admission.ts): it passes when the webhook
 * answers, and names what is broken when it cannot be reached or is not trusted.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../../src/cli/check/check.ts';
import { serve, type RunningWebhook } from '../../../src/serve.ts';
import { groupsFromCrds } from '../../../testkit/api-groups.ts';
import { createTestCertificates } from '../../../testkit/certificates.ts';
import { admitThrough } from '../../../testkit/fake-admission.ts';
import { FakeApiServer } from '../../../testkit/fake-api-server.ts';
import { testWebhookConfig } from '../../support/webhook-config.ts';

const directory = mkdtempSync(join(tmpdir(), 'snapshot-webhook-check-'));
const WEBHOOK_NAME = 'volumesnapshot.snapshot-webhook.io';
let api: FakeApiServer;
let webhook: RunningWebhook;
let kubeconfig: string;
let ca: string;

beforeAll(async () => {
  api = await FakeApiServer.start({ groups: groupsFromCrds('v8.6.0') });
  kubeconfig = await api.writeKubeconfig(join(directory, 'kubeconfig'));
  webhook = await serve(testWebhookConfig({ selfSignedCaFile: join(directory, 'ca.crt'), kubeconfig }), pino({ level: 'silent' }));
  ca = readFileSync(join(directory, 'ca.crt'), 'utf8');
});
afterAll(async () => {
  await webhook.shutdown();
  await api.close();
});

async function check(args: readonly string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  const text = (stream: PassThrough) => () => (stream.read() as Buffer | null)?.toString('utf8') ?? '';
  const env = { POD_NAMESPACE: 'snapshot-webhook' };
  const code = await runCheck(['--kubeconfig', kubeconfig, '--timeout-seconds', '1', ...args], {
    stdin: new PassThrough(),
    stdout,
    stderr,
    env,
    cwd: directory,
  });
  return { code, stdout: text(stdout)(), stderr: text(stderr)() };
}

describe('snapshot-webhook check', () => {
  it('passes once the API server has called the webhook and passed its warning on, storing nothing', async () => {
    api.admission = admitThrough({ name: WEBHOOK_NAME, url: `https://localhost:${webhook.admissionPort}/validate`, ca });
    const result = await check();
    expect(result.stdout).toMatch(
      /^snapshot-webhook check: ok: the API server called the webhook, which answered: VolumeSnapshotClass "snapshot-webhook-check-[0-9a-f]{8}" does not exist/,
    );
    expect(result.code).toBe(0);
    const created = api.requests.filter((request) => request.method === 'POST');
    expect(created.at(-1)).toMatchObject({
      path: '/apis/snapshot.storage.k8s.io/v1/namespaces/snapshot-webhook/volumesnapshots',
      query: { dryRun: 'All' },
    });
    expect(api.store.list({ group: 'snapshot.storage.k8s.io', version: 'v1', plural: 'volumesnapshots' }).length).toBe(0);
  });

  it('fails at the deadline, naming a webhook that nothing answers for', async () => {
    api.admission = admitThrough({ name: WEBHOOK_NAME, url: 'https://127.0.0.1:1/validate', ca });
    const result = await check();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('FAILED: no ready webhook pod answers behind its Service');
    expect(result.stderr).toContain(`failed calling webhook "${WEBHOOK_NAME}"`);
  });

  it('fails naming the certificate when the API server does not trust it', async () => {
    const other = await createTestCertificates();
    api.admission = admitThrough({ name: WEBHOOK_NAME, url: `https://localhost:${webhook.admissionPort}/validate`, ca: other.caCert });
    const result = await check();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("FAILED: the API server does not trust the webhook's certificate");
  });

  it('fails when the API server admits the dry run without calling the webhook', async () => {
    api.admission = undefined;
    const result = await check();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("FAILED: the API server accepted the dry run without the webhook's warning");
  });

  it('passes, saying so, when the snapshot CRDs are not installed', async () => {
    const bare = await FakeApiServer.start();
    try {
      const config = await bare.writeKubeconfig(join(directory, 'bare-kubeconfig'));
      const [stdout, stderr] = [new PassThrough(), new PassThrough()];
      const code = await runCheck(['--kubeconfig', config], { stdin: new PassThrough(), stdout, stderr, env: {}, cwd: directory });
      expect(code).toBe(0);
      expect(String(stdout.read())).toContain('the snapshot CRDs (snapshot.storage.k8s.io/v1) are not installed');
    } finally {
      await bare.close();
    }
  });

  it('refuses a bad command line with exit 2 and the value named', async () => {
    for (const [args, message] of [
      [['--timeout-seconds', 'soon'], '--timeout-seconds must be a number of seconds from 0 to 3600 (not 0), not "soon"'],
      [['--namespace', 'Not_A_Namespace'], '--namespace must be a namespace name, not "Not_A_Namespace"'],
    ] as const) {
      const result = await check(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
  });
});
