import type { KubeConfig } from '@kubernetes/client-node';
import { ApiStatusError, getFromApi } from '../cluster/api-request.ts';
import { discoverServedVersion, GROUP_SNAPSHOT_CLASSES, SNAPSHOT_CLASSES } from '../cluster/discovery.ts';
import type { DiscoveryTarget } from '../cluster/discovery.ts';
import { loadKubeConfig } from '../cluster/kube-config.ts';
import { isRecord } from '../rules/object-access.ts';
import type { KubeObject } from '../rules/types.ts';

/**
 * The snapshot classes of a cluster, listed once (no watch: the command runs for a moment).
 * A group whose CRDs are not installed has no classes.
 */
export interface ClusterClasses {
  readonly server: string;
  readonly snapshotClasses: readonly KubeObject[];
  readonly groupSnapshotClasses: readonly KubeObject[];
}

const PAGE_SIZE = 500;
const REQUEST_TIMEOUT_MS = 30_000;

/** Throws with a message naming the kubeconfig or the server when the classes cannot be listed. */
export async function listClusterClasses(kubeconfigPath: string): Promise<ClusterClasses> {
  const kubeConfig = loadKubeConfig({ kubeconfigPath });
  if (kubeConfig === null) throw new Error(`cannot load kubeconfig ${kubeconfigPath}`);
  const server = kubeConfig.getCurrentCluster()?.server ?? kubeconfigPath;
  try {
    const [snapshotClasses, groupSnapshotClasses] = await Promise.all([
      listServed(kubeConfig, SNAPSHOT_CLASSES),
      listServed(kubeConfig, GROUP_SNAPSHOT_CLASSES),
    ]);
    return { server, snapshotClasses, groupSnapshotClasses };
  } catch (error) {
    throw new Error(`cannot list the snapshot classes of ${server}: ${messageOf(error)}`, { cause: error });
  }
}

async function listServed(kubeConfig: KubeConfig, target: DiscoveryTarget): Promise<KubeObject[]> {
  const discovery = await discoverServedVersion(kubeConfig, target, { timeoutMs: REQUEST_TIMEOUT_MS });
  if (discovery.kind === 'absent') return [];
  return listAll(kubeConfig, `/apis/${target.group}/${discovery.version}/${target.plural}`);
}

/** A LIST in pages; a 404 means the resource went away since discovery: no classes. */
async function listAll(kubeConfig: KubeConfig, path: string): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  let continueToken = '';
  do {
    const query: Record<string, string> = { limit: String(PAGE_SIZE) };
    if (continueToken !== '') query.continue = continueToken;
    const response = await getFromApi(kubeConfig, path, { query, timeoutMs: REQUEST_TIMEOUT_MS });
    if (response.status === 404) return [];
    if (response.status !== 200 || !isRecord(response.body)) throw new ApiStatusError(path, response.status, response.body);
    const { items, metadata } = response.body;
    objects.push(...(Array.isArray(items) ? items.filter(isRecord) : []));
    continueToken = isRecord(metadata) && typeof metadata.continue === 'string' ? metadata.continue : '';
  } while (continueToken !== '');
  return objects;
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch hides the reason (ECONNREFUSED, a certificate error) in its cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
