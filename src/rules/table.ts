import type { ClusterObjects, ObjectRef } from './cluster-objects.ts';
import { persistentVolumeClaimLookups, persistentVolumeClaimRules } from './persistent-volume-claim.ts';
import type { ResourceRules, RuleRequest } from './types.ts';
import { volumeSnapshotLookups } from './volume-snapshot-claim.ts';
import { volumeGroupSnapshotContentRules } from './volume-group-snapshot-content.ts';
import { volumeGroupSnapshotClassRules } from './volume-group-snapshot-class.ts';
import { volumeGroupSnapshotRules } from './volume-group-snapshot.ts';
import { volumeSnapshotClassRules } from './volume-snapshot-class.ts';
import { volumeSnapshotContentRules } from './volume-snapshot-content.ts';
import { volumeSnapshotRules } from './volume-snapshot.ts';
import { CORE_GROUP, GROUP_SNAPSHOT_GROUP, GROUP_SNAPSHOT_VERSIONS, SNAPSHOT_GROUP, SNAPSHOT_VERSIONS } from './snapshot-api.ts';

/** Which rules decide which resource: (group, version, resource) → rules. */

export interface ResourceFamily {
  readonly group: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Objects the rules read from the cluster, asked again with what was found until nothing new is asked. */
  readonly lookups?: (request: RuleRequest, objects: ClusterObjects) => ObjectRef[];
  /** The JSON Schema ($id) that the object must match before the rules run. */
  readonly schemaId: string;
  readonly rules: ResourceRules;
}

function family(entry: Omit<ResourceFamily, 'schemaId'>): ResourceFamily {
  return { ...entry, schemaId: `${entry.resource}.schema.json` };
}

export const RESOURCE_FAMILIES: readonly ResourceFamily[] = [
  family({
    group: SNAPSHOT_GROUP,
    resource: 'volumesnapshots',
    kind: 'VolumeSnapshot',
    namespaced: true,
    rules: volumeSnapshotRules,
    lookups: volumeSnapshotLookups,
  }),
  family({
    group: SNAPSHOT_GROUP,
    resource: 'volumesnapshotcontents',
    kind: 'VolumeSnapshotContent',
    namespaced: false,
    rules: volumeSnapshotContentRules,
  }),
  family({
    group: SNAPSHOT_GROUP,
    resource: 'volumesnapshotclasses',
    kind: 'VolumeSnapshotClass',
    namespaced: false,
    rules: volumeSnapshotClassRules,
  }),
  family({
    group: GROUP_SNAPSHOT_GROUP,
    resource: 'volumegroupsnapshots',
    kind: 'VolumeGroupSnapshot',
    namespaced: true,
    rules: volumeGroupSnapshotRules,
  }),
  family({
    group: GROUP_SNAPSHOT_GROUP,
    resource: 'volumegroupsnapshotcontents',
    kind: 'VolumeGroupSnapshotContent',
    namespaced: false,
    rules: volumeGroupSnapshotContentRules,
  }),
  family({
    group: GROUP_SNAPSHOT_GROUP,
    resource: 'volumegroupsnapshotclasses',
    kind: 'VolumeGroupSnapshotClass',
    namespaced: false,
    rules: volumeGroupSnapshotClassRules,
  }),
  family({
    group: CORE_GROUP,
    resource: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
    rules: persistentVolumeClaimRules,
    lookups: persistentVolumeClaimLookups,
  }),
];

/** The six snapshot kinds: what `validate` and `audit` check (the PVC rules need a live cluster's objects). */
export const SNAPSHOT_FAMILIES: readonly ResourceFamily[] = RESOURCE_FAMILIES.filter((entry) => entry.group !== CORE_GROUP);

function versionsOf(group: string): readonly string[] {
  if (group === CORE_GROUP) return ['v1'];
  return group === SNAPSHOT_GROUP ? SNAPSHOT_VERSIONS : GROUP_SNAPSHOT_VERSIONS;
}

const TABLE = new Map<string, ResourceFamily>(
  RESOURCE_FAMILIES.flatMap((entry) =>
    versionsOf(entry.group).map((version) => [`${entry.group}/${version}/${entry.resource}`, entry] as const),
  ),
);

export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** The family that decides this resource, or undefined for a resource we do not know. */
export function familyFor(gvr: GroupVersionResource): ResourceFamily | undefined {
  return TABLE.get(`${gvr.group}/${gvr.version}/${gvr.resource}`);
}

/** Every (group, version, resource) the webhook decides: for the chart and the docs. */
export function handledResources(): GroupVersionResource[] {
  return RESOURCE_FAMILIES.flatMap((entry) =>
    versionsOf(entry.group).map((version) => ({ group: entry.group, version, resource: entry.resource })),
  );
}
