import type { KubeConfig } from '@kubernetes/client-node';
import { gatherObjects } from '../../admission/gather-objects.ts';
import { objectReader, type ReadObject } from '../../cluster/object-reader.ts';
import type { ObjectStore } from '../../rules/cluster-objects.ts';
import { stringAt } from '../../rules/object-access.ts';
import { REQUEST_TIMEOUT_MS } from '../cluster-objects.ts';
import { targetOf } from './check.ts';
import type { Manifest } from './manifests.ts';

/** Per object checked, for the reads its rules need; a command can wait longer than the webhook's 1 s. */
const LOOKUP_DEADLINE_MS = 10_000;

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
    const { lookups } = target.family;
    if (lookups === undefined) continue;
    const object = target.manifest.object;
    const namespace = target.family.namespaced ? (stringAt(object, 'metadata.namespace') ?? 'default') : undefined;
    await gatherObjects(lookups, { operation: 'CREATE', object, oldObject: null, namespace }, read, LOOKUP_DEADLINE_MS);
  }
}
