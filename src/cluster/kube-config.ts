import { KubeConfig } from '@kubernetes/client-node';
import { describeError, WebhookError } from '../errors.ts';

export interface KubeConfigOptions {
  /** A kubeconfig file to use; when unset, the in-cluster service account if there is one. */
  readonly kubeconfigPath?: string | undefined;
}

/**
 * How the webhook reaches the API server: the given kubeconfig, else the in-cluster service
 * account, else null — no cluster, and the server runs without the rules that need one.
 * A kubeconfig that cannot be used fails here, at start, naming the file, rather than at the
 * first request.
 */
export function loadKubeConfig(options: KubeConfigOptions): KubeConfig | null {
  // client-node's loadFromCluster reads the same variables (and the service account files).
  const host = process.env.KUBERNETES_SERVICE_HOST;
  if (options.kubeconfigPath !== undefined && options.kubeconfigPath !== '') {
    return fromFile(options.kubeconfigPath);
  }
  if (host !== undefined && host !== '') {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromCluster();
    return kubeConfig;
  }
  return null;
}

function fromFile(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (error) {
    throw new WebhookError('CONFIG_INVALID', `cannot load kubeconfig ${path}: ${describeError(error)}`);
  }
  const context = kubeConfig.getCurrentContext();
  if (kubeConfig.getCurrentCluster() === null) {
    const why = context ? `current-context "${context}" names no usable cluster` : 'it sets no current-context';
    throw new WebhookError('CONFIG_INVALID', `cannot use kubeconfig ${path}: ${why}`);
  }
  return kubeConfig;
}
