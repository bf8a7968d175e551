import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from './support/temporary-directory.ts';
import { serve } from '../src/serve.ts';
import { ADMISSION_REGISTRATION_GROUP, CORE_GROUP } from '../testkit/api-groups.ts';
import { FakeApiServer } from '../testkit/fake-api-server.ts';
import type { ResourceRef } from '../testkit/fake-api-server.ts';
import { testWebhookConfig } from './support/webhook-config.ts';

/**
 * Self-managed start-up waits for the API server (up to a minute). Meanwhile the probe port must
 * already answer: live, so that the kubelet does not kill a pod that is only waiting, and not ready.
 */
const NAMESPACE = 'webhook-system';
const CONFIGURATIONS: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations' };

let api: FakeApiServer;
const inDirectory = temporaryDirectory('serve-startup-');

beforeAll(async () => {
  api = await FakeApiServer.start({ groups: [CORE_GROUP, ADMISSION_REGISTRATION_GROUP] });
  api.createObject(CONFIGURATIONS, {
    metadata: { name: 'snapshot-webhook' },
    webhooks: [{ name: 'snapshot.webhook.io', clientConfig: { service: { name: 'snapshot-webhook', namespace: NAMESPACE } } }],
  });
});

afterAll(async () => {
  await api.close();
});

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

async function probe(port: number, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, text: await response.text() };
}

describe('serve, while the certificate is still being obtained', () => {
  it('is live but not ready, then ready once it serves', async () => {
    const metricsPort = await unusedPort();
    const kubeconfig = await api.writeKubeconfig(inDirectory('kubeconfig'));
    const selfManaged = {
      tlsSecret: `${NAMESPACE}/snapshot-webhook-tls`,
      webhookConfiguration: 'snapshot-webhook',
      service: `${NAMESPACE}/snapshot-webhook`,
    };
    await api.setUnreachable(true);
    const starting = serve(testWebhookConfig({ metricsPort, kubeconfig, ...selfManaged }), pino({ level: 'silent' }));
    try {
      const live = await waitForProbe(metricsPort, '/livez');
      expect(live).toEqual({ status: 200, text: 'ok\n' });
      expect(await probe(metricsPort, '/readyz')).toEqual({
        status: 503,
        text: 'not ready: starting: serving certificate not loaded yet\n',
      });
    } finally {
      await api.setUnreachable(false);
    }
    const webhook = await starting;
    try {
      expect(webhook.metricsPort).toBe(metricsPort);
      const ready = await waitForProbeStatus(metricsPort, '/readyz', 200);
      expect(ready.text).toBe('ok\n');
    } finally {
      await webhook.shutdown();
    }
  }, 30_000);

  it('leaves nothing listening when the admission port is taken', async () => {
    const [metricsPort, blocker] = [await unusedPort(), createServer()];
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const failing = serve(testWebhookConfig({ port, metricsPort, selfSignedCaFile: inDirectory('ca.crt') }), pino({ level: 'silent' }));
      await expect(failing).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await expect(probe(metricsPort, '/livez')).rejects.toThrow();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('leaves nothing listening when the start fails', async () => {
    const metricsPort = await unusedPort();
    const certificateFiles = { tlsCertFile: inDirectory('missing.crt'), tlsPrivateKeyFile: inDirectory('missing.key') };
    const failing = serve(testWebhookConfig({ metricsPort, ...certificateFiles }), pino({ level: 'silent' }));
    await expect(failing).rejects.toMatchObject({ message: expect.stringContaining('missing.crt') as unknown });
    await expect(probe(metricsPort, '/livez')).rejects.toThrow();
  });
});

async function waitForProbe(port: number, path: string): Promise<{ status: number; text: string }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await probe(port, path);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function waitForProbeStatus(port: number, path: string, status: number): Promise<{ status: number; text: string }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await probe(port, path);
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
