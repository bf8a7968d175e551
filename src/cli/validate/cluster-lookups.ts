import type { KubeConfig } from '@kubernetes/client-node';
import { objectReader, type ReadObject } from '../../cluster/object-reader.ts';
import type { ObjectStore } from '../../rules/cluster-objects.ts';
import { creationLookups, REQUEST_TIMEOUT_MS } from '../cluster-objects.ts';
import { targetOf } from './check.ts';
import type { Manifest } from './manifests.ts';

/**
 * What the restore and clone rules of the files' objects name and the files do not define, read
 * from the cluster (one GET each, as the webhook reads them) into the same store: the files come
 * first, since they are what is about to be applied.
 */
export async function readClusterObjects(kubeConfig: KubeConfig, manifests: readonly Manifest[], objects: ObjectStore): Promise<void> {
  const fromCluster = objectReader(kubeConfig, { timeoutMs: REQUEST_TIMEOUT_MS });
  const read: ReadObject = async (ref, signal) => {
    const known = objects.get(ref);
    if (known !== undefined) return known;
    const lookup = await fromCluster(ref, signal);
    objects.set(ref, lookup);
    return lookup;
  };
  for (const target of manifests.flatMap((manifest) => targetOf(manifest) ?? [])) {
    await creationLookups(target.family, target.manifest.object, read);
  }
}
