import { resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '../cluster/kube-config.ts';
import { describeError } from '../errors.ts';
import type { CommandIO } from './io.ts';

/** The kubeconfig given (relative to where the user is), else the in-cluster service account; else a message saying which is missing. */
export function connectToCluster(kubeconfig: string | undefined, io: CommandIO): KubeConfig | string {
  const inCluster = (io.env.KUBERNETES_SERVICE_HOST ?? '') !== '';
  const noCluster =
    'no --kubeconfig given and not running in a cluster (KUBERNETES_SERVICE_HOST is not set): name the cluster with --kubeconfig <file>';
  if (kubeconfig === undefined && !inCluster) return noCluster;
  try {
    return loadKubeConfig({ kubeconfigPath: kubeconfig === undefined ? undefined : resolve(io.cwd, kubeconfig) }) ?? noCluster;
  } catch (error) {
    return describeError(error);
  }
}
