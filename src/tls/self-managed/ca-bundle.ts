/**
 * Keeps the caBundle of every webhook of one ValidatingWebhookConfiguration equal to the
 * Secret's ca.crt: GET, and when any differs, PUT the object as read (unknown fields and all)
 * with its resourceVersion, so that a concurrent change (another replica, a Helm upgrade) makes
 * it 409 and the next try starts from that change instead of undoing it.
 */
import { isObject, webhookConfigurationPath } from './api.ts';
import type { JsonObject, KubeJsonClient } from './api.ts';
import { WebhookError } from '../../errors.ts';

/** current: already equal; updated: written now; missing: no such configuration (yet). */
export type CaBundleStatus = 'current' | 'updated' | 'missing';

const MAX_ATTEMPTS = 3;

export async function publishCaBundle(client: KubeJsonClient, name: string, bundlePem: string): Promise<CaBundleStatus> {
  const path = webhookConfigurationPath(name);
  const caBundle = Buffer.from(bundlePem, 'utf8').toString('base64');
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const configuration = await client.get(path);
    if (configuration === undefined) return 'missing';
    const webhooks = Array.isArray(configuration.webhooks) ? (configuration.webhooks as unknown[]) : [];
    if (webhooks.every((webhook) => caBundleOf(webhook) === caBundle)) return 'current';
    const updated = { ...configuration, webhooks: webhooks.map((webhook) => withCaBundle(webhook, caBundle)) };
    const written = await client.write('PUT', path, updated);
    if (written === 'not-found') return 'missing';
    if (written !== 'conflict') return 'updated';
  }
  throw new WebhookError('API_CONFLICT', `ValidatingWebhookConfiguration ${name}`, String(MAX_ATTEMPTS));
}

/** The caBundles of a configuration, decoded: for tests and diagnostics. */
export function caBundlesOf(configuration: JsonObject): string[] {
  const webhooks = Array.isArray(configuration.webhooks) ? (configuration.webhooks as unknown[]) : [];
  return webhooks.map((webhook) => Buffer.from(caBundleOf(webhook) ?? '', 'base64').toString('utf8'));
}

function caBundleOf(webhook: unknown): string | undefined {
  if (!isObject(webhook) || !isObject(webhook.clientConfig)) return undefined;
  const caBundle = webhook.clientConfig.caBundle;
  return typeof caBundle === 'string' ? caBundle : undefined;
}

function withCaBundle(webhook: unknown, caBundle: string): unknown {
  if (!isObject(webhook)) return webhook;
  const clientConfig = isObject(webhook.clientConfig) ? webhook.clientConfig : {};
  return { ...webhook, clientConfig: { ...clientConfig, caBundle } };
}
