/**
 * Where a new PVC's data comes from (docs/rules.md, rules 20–22): `dataSourceRef` when set, else
 * `dataSource`; a snapshot to restore, a PVC to clone, or something else (a populator) left alone.
 */
import { refText, type ClusterObjects, type Lookup, type ObjectRef } from './cluster-objects.ts';
import { parseQuantity, type Quantity } from './quantity.ts';
import { SNAPSHOT_GROUP } from './snapshot-api.ts';
import { recordAt, stringAt } from './object-access.ts';
import type { KubeObject, RuleRequest, Warning } from './types.ts';

export interface DataSource {
  readonly kind: 'restore' | 'clone';
  readonly ref: ObjectRef;
  /** The field that names it, for messages. */
  readonly field: 'spec.dataSourceRef' | 'spec.dataSource';
}

export function dataSourceOf(request: RuleRequest): DataSource | undefined {
  const field = recordAt(request.object, 'spec.dataSourceRef') === undefined ? 'spec.dataSource' : 'spec.dataSourceRef';
  const source = recordAt(request.object, field);
  const name = stringAt(source, 'name');
  if (name === undefined || name === '') return undefined;
  const namespace = stringAt(source, 'namespace') ?? request.namespace ?? stringAt(request.object, 'metadata.namespace');
  const kind = sourceKind(stringAt(source, 'apiGroup') ?? '', stringAt(source, 'kind'));
  if (kind === undefined) return undefined;
  return { kind, field, ref: { resource: kind === 'restore' ? 'volumesnapshots' : 'persistentvolumeclaims', namespace, name } };
}

function sourceKind(group: string, kind: string | undefined): DataSource['kind'] | undefined {
  if (kind === 'VolumeSnapshot' && group === SNAPSHOT_GROUP) return 'restore';
  if (kind === 'PersistentVolumeClaim' && group === '') return 'clone';
  return undefined;
}

/** The storage a PVC asks for. */
export function requestedStorage(object: unknown): { readonly text: string; readonly quantity: Quantity } | undefined {
  const text = stringAt(object, 'spec.resources.requests.storage');
  const quantity = text === undefined ? undefined : parseQuantity(text);
  return text === undefined || quantity === undefined ? undefined : { text, quantity };
}

/** A PVC's volume mode, with the API server's default. */
export function volumeModeOf(object: unknown): string {
  return stringAt(object, 'spec.volumeMode') ?? 'Filesystem';
}

/** The object a lookup found; undefined when absent, unreadable or not looked up. */
export function found(objects: ClusterObjects, ref: ObjectRef | undefined): KubeObject | undefined {
  const lookup = ref === undefined ? undefined : objects.get(ref);
  return lookup?.state === 'found' ? lookup.object : undefined;
}

/**
 * The warnings of rule 22 for lookups that found nothing usable: what is missing makes the PVC
 * wait; what could not be read leaves it unchecked.
 */
export function lookupWarnings(rule: string, objects: ClusterObjects, refs: readonly ObjectRef[], consequence: string): Warning[] {
  return refs.flatMap((ref) => {
    const lookup: Lookup | undefined = objects.get(ref);
    if (lookup?.state === 'absent') return [{ rule, message: `${refText(ref)} does not exist: ${consequence}` }];
    if (lookup?.state === 'unreadable') {
      return [{ rule: 'lookup-failed', message: `could not check ${refText(ref)} (${lookup.reason}): created unchecked` }];
    }
    return [];
  });
}
