/**
 * The flags of self-managed certificates (--tls-secret, --webhook-configuration, --service)
 * checked together, so that a half-given set fails at start naming what is missing instead of
 * the webhook running with certificates nobody trusts.
 */
import { loadKubeConfig } from '../../cluster/kube-config.ts';
import type { WebhookConfig } from '../../config/config.ts';
import { WebhookError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { ObjectName } from './api.ts';
import type { SelfManagedOptions } from './certificates.ts';

export type SelfManagedConfig = Pick<
  WebhookConfig,
  'tlsSecret' | 'webhookConfiguration' | 'service' | 'kubeconfig' | 'tlsCertFile' | 'tlsPrivateKeyFile'
>;

/**
 * The options of startSelfManagedCertificates, or undefined when --tls-secret is not given.
 * @throws WebhookError CONFIG_INVALID naming the flag that is missing or in conflict, or saying
 *   that there is no cluster to keep the Secret in.
 */
export function selfManagedOptionsFrom(config: SelfManagedConfig, logger: Logger): SelfManagedOptions | undefined {
  if (config.tlsSecret === '') {
    const stray = config.webhookConfiguration !== '' ? '--webhook-configuration' : config.service !== '' ? '--service' : '';
    if (stray !== '') throw configInvalid(`${stray} is for self-managed certificates: give --tls-secret too`);
    return undefined;
  }
  if (config.tlsCertFile !== '' || config.tlsPrivateKeyFile !== '') {
    throw configInvalid('--tls-secret (self-managed certificates) and --tls-cert-file/--tls-private-key-file exclude each other');
  }
  if (config.webhookConfiguration === '')
    throw configInvalid('--tls-secret needs --webhook-configuration: the configuration whose caBundle gets the CA');
  if (config.service === '') throw configInvalid('--tls-secret needs --service: the Service whose DNS names the certificate is for');
  const secret = objectName(config.tlsSecret, '--tls-secret');
  const service = objectName(config.service, '--service');
  const kubeConfig = loadKubeConfig({ kubeconfigPath: config.kubeconfig });
  if (kubeConfig === null) {
    throw configInvalid(
      'self-managed certificates (--tls-secret) need a cluster: give --kubeconfig or run in a cluster (in-cluster config)',
    );
  }
  return { kubeConfig, secret, service, webhookConfiguration: config.webhookConfiguration, logger };
}

function objectName(text: string, flag: string): ObjectName {
  const [namespace = '', name = '', extra] = text.split('/');
  if (namespace === '' || name === '' || extra !== undefined)
    throw configInvalid(`${flag} must be NAMESPACE/NAME, got ${JSON.stringify(text)}`);
  return { namespace, name };
}

function configInvalid(message: string): WebhookError {
  return new WebhookError('CONFIG_INVALID', message);
}
