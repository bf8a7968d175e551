import { connect as connectHttp2 } from 'node:http2';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../../support/temporary-directory.ts';
import type { WebhookConfig } from '../../../src/config/config.ts';
import { serve } from '../../../src/serve.ts';
import { caBundlesOf } from '../../../src/tls/self-managed/ca-bundle.ts';
import { ADMISSION_REGISTRATION_GROUP, CORE_GROUP } from '../../../testkit/api-groups.ts';
import { reviewFrom } from '../../../testkit/captures.ts';
import { FakeApiServer } from '../../../testkit/fake-api-server.ts';
import type { ResourceRef } from '../../../testkit/fake-api-server.ts';
import { postOnSession } from '../../../testkit/clients.ts';
import { testWebhookConfig } from '../../support/webhook-config.ts';

/** The serve command with --tls-secret: the certificate it serves comes from the Secret it made. */
const NAMESPACE = 'webhook-system';
const CONFIGURATIONS: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations' };

let api: FakeApiServer;
const inDirectory = temporaryDirectory('self-managed-serve-');
let kubeconfig: string;

beforeAll(async () => {
  api = await FakeApiServer.start({ groups: [CORE_GROUP, ADMISSION_REGISTRATION_GROUP] });
  kubeconfig = await api.writeKubeconfig(inDirectory('kubeconfig'));
});

afterAll(async () => {
  await api.close();
});

function config(overrides: Partial<WebhookConfig> = {}): WebhookConfig {
  return testWebhookConfig({
    tlsSecret: `${NAMESPACE}/snapshot-webhook-tls`,
    webhookConfiguration: 'snapshot-webhook',
    service: `${NAMESPACE}/snapshot-webhook`,
    kubeconfig,
    ...overrides,
  });
}

describe('serve --tls-secret', () => {
  it('answers an AdmissionReview over TLS to a client that trusts only the caBundle', async () => {
    api.createObject(CONFIGURATIONS, {
      metadata: { name: 'snapshot-webhook' },
      webhooks: [{ name: 'snapshot.webhook.io', clientConfig: { service: { name: 'snapshot-webhook', namespace: NAMESPACE } } }],
    });
    const webhook = await serve(config(), pino({ level: 'silent' }));
    try {
      expect(webhook.caFile).toBeUndefined();
      const [caBundle] = caBundlesOf(api.getObject(CONFIGURATIONS, 'snapshot-webhook') ?? {});
      expect(caBundle).toContain('BEGIN CERTIFICATE');
      const session = connectHttp2(`https://127.0.0.1:${webhook.admissionPort}`, {
        ca: caBundle,
        servername: 'snapshot-webhook.webhook-system.svc',
      });
      try {
        const answer = await postOnSession(session, '/validate?timeout=3s', JSON.stringify(reviewFrom('02')));
        expect(answer.status).toBe(200);
        const review = JSON.parse(answer.text) as { kind: string; response: { uid: string; allowed: boolean } };
        expect(review.kind).toBe('AdmissionReview');
        expect(review.response.uid).toBe(reviewFrom('02').request.uid);
        expect(typeof review.response.allowed).toBe('boolean');
      } finally {
        session.close();
      }
    } finally {
      await webhook.shutdown();
    }
  });

  it.each([
    [{ webhookConfiguration: '' }, /--tls-secret needs --webhook-configuration/],
    [{ service: '' }, /--tls-secret needs --service/],
    [{ tlsSecret: 'no-namespace' }, /--tls-secret must be NAMESPACE\/NAME/],
    [{ tlsCertFile: '/tls/tls.crt', tlsPrivateKeyFile: '/tls/tls.key' }, /exclude each other/],
    [{ tlsSecret: '' }, /--webhook-configuration is for self-managed certificates: give --tls-secret too/],
  ] as const)('refuses %o', async (overrides, message) => {
    const error = serve(config(overrides), pino({ level: 'silent' }));
    await expect(error).rejects.toMatchObject({ code: 'SVW_ERR_CONFIG_INVALID', message: expect.stringMatching(message) as unknown });
  });

  it('refuses without a cluster to keep the Secret in', async () => {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      await expect(serve(config({ kubeconfig: '' }), pino({ level: 'silent' }))).rejects.toMatchObject({
        code: 'SVW_ERR_CONFIG_INVALID',
        message: expect.stringContaining('need a cluster: give --kubeconfig or run in a cluster') as unknown,
      });
    } finally {
      if (host !== undefined) process.env.KUBERNETES_SERVICE_HOST = host;
    }
  });
});
