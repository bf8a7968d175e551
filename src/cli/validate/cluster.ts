import type { KubeConfig } from '@kubernetes/client-node';
import { discoverServedVersion, GROUP_SNAPSHOT_CLASSES, SNAPSHOT_CLASSES } from '../../cluster/discovery.ts';
import type { DiscoveryTarget } from '../../cluster/discovery.ts';
import { loadKubeConfig } from '../../cluster/kube-config.ts';
import type { KubeObject } from '../../rules/types.ts';
import { listAll, REQUEST_TIMEOUT_MS } from '../cluster-objects.ts';
import { describeError, WebhookError } from '../../errors.ts';

/**
 * The snapshot classes of a cluster, listed once (no watch: the command runs for a moment).
 * A group whose CRDs are not installed has no classes.
 */
export interface ClusterClasses {
  readonly server: string;
  /** For the single reads of the restore and clone rules (readClusterObjects). */
  readonly kubeConfig: KubeConfig;
  readonly snapshotClasses: readonly KubeObject[];
  readonly groupSnapshotClasses: readonly KubeObject[];
}

/** Throws with a message naming the kubeconfig or the server when the classes cannot be listed. */
export async function listClusterClasses(kubeconfigPath: string): Promise<ClusterClasses> {
  const kubeConfig = loadKubeConfig({ kubeconfigPath });
  if (kubeConfig === null) throw new WebhookError('KUBECONFIG_INVALID', `${kubeconfigPath} cannot be loaded`);
  const server = kubeConfig.getCurrentCluster()?.server ?? kubeconfigPath;
  try {
    const [snapshotClasses, groupSnapshotClasses] = await Promise.all([
      listServed(kubeConfig, SNAPSHOT_CLASSES),
      listServed(kubeConfig, GROUP_SNAPSHOT_CLASSES),
    ]);
    return { server, kubeConfig, snapshotClasses, groupSnapshotClasses };
  } catch (error) {
    throw new WebhookError('CLUSTER_UNREADABLE', server, describeError(error));
  }
}

async function listServed(kubeConfig: KubeConfig, target: DiscoveryTarget): Promise<KubeObject[]> {
  const discovery = await discoverServedVersion(kubeConfig, target, { timeoutMs: REQUEST_TIMEOUT_MS });
  if (discovery.kind === 'absent') return [];
  return listAll(kubeConfig, `/apis/${target.group}/${discovery.version}/${target.plural}`);
}
