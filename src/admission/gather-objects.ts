/**
 * The I/O before the restore and clone rules: read what the family asks for, then ask again with
 * what was found (a snapshot names its content and class), a few rounds at most, all under one
 * deadline so that a slow API server cannot push the answer past the webhook's timeout.
 */
import type { ReadObject } from '../cluster/object-reader.ts';
import { ObjectStore, refKey, type ObjectRef } from '../rules/cluster-objects.ts';
import type { ResourceFamily } from '../rules/table.ts';
import type { RuleRequest } from '../rules/types.ts';

/** A restore reads the snapshot, then its content and class: two rounds; one more to spare. */
const MAX_ROUNDS = 3;

export async function gatherObjects(
  lookups: NonNullable<ResourceFamily['lookups']>,
  request: RuleRequest,
  read: ReadObject,
  deadlineMs: number,
): Promise<ObjectStore> {
  const objects = new ObjectStore();
  const signal = AbortSignal.timeout(deadlineMs);
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const wanted = unread(lookups(request, objects), objects);
    if (wanted.length === 0) break;
    const results = await Promise.all(wanted.map((ref) => read(ref, signal)));
    wanted.forEach((ref, index) => objects.set(ref, results[index] ?? { state: 'unreadable', reason: 'not read' }));
  }
  return objects;
}

/** The refs not read yet, each once. */
function unread(refs: readonly ObjectRef[], objects: ObjectStore): ObjectRef[] {
  return [...new Map(refs.filter((ref) => !objects.has(ref)).map((ref) => [refKey(ref), ref])).values()];
}
