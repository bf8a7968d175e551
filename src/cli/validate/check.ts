import { ClassIndex } from '../../cluster/class-index.ts';
import type { ClassView, ClusterView } from '../../rules/class-view.ts';
import { stringAt, valueAt } from '../../rules/object-access.ts';
import { RESOURCE_FAMILIES } from '../../rules/table.ts';
import type { ResourceFamily } from '../../rules/table.ts';
import type { KubeObject, RuleOptions } from '../../rules/types.ts';
import type { SchemaSet } from '../../schemas.ts';
import type { Manifest } from './manifests.ts';
import type { ClusterClasses } from './cluster.ts';
import { evaluate } from './evaluate.ts';
import { manifestObjects } from './manifest-objects.ts';
import type { ObjectStore } from '../../rules/cluster-objects.ts';
import type { Evaluation, PreviousVersion } from './evaluate.ts';
import { GROUP_SNAPSHOT_DEFAULT_ANNOTATION, SNAPSHOT_DEFAULT_ANNOTATION } from '../../rules/snapshot-api.ts';

/**
 * A set of manifests checked as if applied together: each snapshot object as a CREATE (or, when
 * --against has its previous version, an UPDATE), and the classes against each other and the
 * cluster's, so that a second default class for a driver is caught before it is applied.
 */
export interface CheckInput {
  readonly manifests: readonly Manifest[];
  /** The previous versions (--against); empty when not given. */
  readonly previous: readonly Manifest[];
  /** The cluster's classes (--kubeconfig), or null without a cluster. */
  readonly cluster: ClusterClasses | null;
  readonly options: RuleOptions;
  readonly schemas: SchemaSet;
  /** What the restore and clone rules read: the files' objects, and with --kubeconfig the cluster's (else the files' alone). */
  readonly objects?: ObjectStore;
}

export interface CheckedObject extends Evaluation {
  readonly manifest: Manifest;
  readonly family: ResourceFamily;
}

export interface CheckResult {
  readonly checked: readonly CheckedObject[];
  /** Objects of other kinds, counted and left alone. */
  readonly ignored: number;
}

export interface Target {
  readonly manifest: Manifest;
  readonly family: ResourceFamily;
  readonly version: string;
}

type ClassKind = 'VolumeSnapshotClass' | 'VolumeGroupSnapshotClass';

export function checkManifests(input: CheckInput): CheckResult {
  const targets = input.manifests.flatMap((manifest) => targetOf(manifest) ?? []);
  const previousByIdentity = new Map(input.previous.flatMap(identified));
  const snapshotClasses = classSet(SNAPSHOT_DEFAULT_ANNOTATION, input.cluster?.snapshotClasses, classesIn(targets, 'VolumeSnapshotClass'));
  const groupClasses = classSet(
    GROUP_SNAPSHOT_DEFAULT_ANNOTATION,
    input.cluster?.groupSnapshotClasses,
    classesIn(targets, 'VolumeGroupSnapshotClass'),
  );
  const objects = input.objects ?? manifestObjects(input.manifests);
  const checked = targets.map((target): CheckedObject => {
    const kind = target.family.kind;
    // Each class meets the cluster's classes and the classes before it in the set, so of two
    // defaults for one driver the later one is reported, naming the earlier, as the webhook would.
    const cluster: ClusterView = {
      snapshotClasses: kind === 'VolumeSnapshotClass' ? snapshotClasses.before : snapshotClasses.all,
      groupSnapshotClasses: kind === 'VolumeGroupSnapshotClass' ? groupClasses.before : groupClasses.all,
    };
    const previous = previousVersion(target, previousByIdentity, input.cluster);
    const subject = { family: target.family, version: target.version, object: target.manifest.object };
    const evaluation = evaluate(subject, previous, { cluster, options: input.options, objects }, input.schemas);
    if (kind === 'VolumeSnapshotClass') snapshotClasses.before.upsert(target.manifest.object);
    if (kind === 'VolumeGroupSnapshotClass') groupClasses.before.upsert(target.manifest.object);
    return { ...evaluation, manifest: target.manifest, family: target.family };
  });
  return { checked, ignored: input.manifests.length - targets.length };
}

/** The snapshot family of a manifest by its apiVersion's group and its kind; undefined for other kinds. */
export function targetOf(manifest: Manifest): Target | undefined {
  const { apiVersion, kind } = manifest.object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const family = RESOURCE_FAMILIES.find((candidate) => candidate.group === group && candidate.kind === kind);
  // A PVC is checked only as a restore or a clone, as the webhook's matchConditions send it.
  if (family === undefined || (kind === 'PersistentVolumeClaim' && !hasDataSource(manifest.object))) return undefined;
  return { manifest, family, version: apiVersion.slice(slash + 1) };
}

function hasDataSource(object: KubeObject): boolean {
  return valueAt(object, 'spec.dataSource') !== undefined || valueAt(object, 'spec.dataSourceRef') !== undefined;
}

/** The same object in another version of the set: group (not version), kind, namespace, name. */
function identityOf(target: Target): string | undefined {
  const name = stringAt(target.manifest.object, 'metadata.name');
  if (name === undefined || name === '') return undefined; // generateName: a new object every time.
  const namespace = stringAt(target.manifest.object, 'metadata.namespace') ?? '';
  return `${target.family.group}/${target.family.kind}/${namespace}/${name}`;
}

function identified(manifest: Manifest): [string, Manifest][] {
  const target = targetOf(manifest);
  const identity = target === undefined ? undefined : identityOf(target);
  return identity === undefined ? [] : [[identity, manifest]];
}

/**
 * --against first (it is what the user asked to compare with); else, for a class, the cluster's
 * class of that name: applying it will be an UPDATE of that one.
 */
function previousVersion(
  target: Target,
  previousByIdentity: ReadonlyMap<string, Manifest>,
  cluster: ClusterClasses | null,
): PreviousVersion | undefined {
  const identity = identityOf(target);
  const previous = identity === undefined ? undefined : previousByIdentity.get(identity);
  if (previous !== undefined) return { object: previous.object, origin: `${previous.file}:${previous.line}` };
  if (identity === undefined) return undefined;
  const name = nameOf(target.manifest.object);
  const inCluster = clusterClassesOf(target.family.kind, cluster).find((object) => nameOf(object) === name);
  return inCluster === undefined ? undefined : { object: inCluster, origin: 'the cluster' };
}

function clusterClassesOf(kind: string, cluster: ClusterClasses | null): readonly KubeObject[] {
  if (kind === 'VolumeSnapshotClass') return cluster?.snapshotClasses ?? [];
  if (kind === 'VolumeGroupSnapshotClass') return cluster?.groupSnapshotClasses ?? [];
  return [];
}

function classesIn(targets: readonly Target[], kind: ClassKind): KubeObject[] {
  return targets.filter((target) => target.family.kind === kind).map((target) => target.manifest.object);
}

interface ClassSet {
  /** The cluster's classes and the set's classes checked so far: what a class is checked against. */
  readonly before: ClassIndex;
  /**
   * Every class once the set is applied, for the warnings about missing classes. Null (those
   * warnings off) without a cluster and without classes in the set: most repositories keep their
   * classes elsewhere, and a warning on every snapshot would only be noise.
   */
  readonly all: ClassView | null;
}

/** A class of the set replaces the cluster's class of the same name: it is what will be applied. */
function classSet(annotation: string, cluster: readonly KubeObject[] | undefined, manifests: readonly KubeObject[]): ClassSet {
  const replaced = new Set(manifests.map(nameOf));
  const kept = (cluster ?? []).filter((object) => !replaced.has(nameOf(object)));
  const before = new ClassIndex(annotation);
  const all = new ClassIndex(annotation);
  for (const object of kept) {
    before.upsert(object);
    all.upsert(object);
  }
  for (const object of manifests) all.upsert(object);
  return { before, all: cluster === undefined && manifests.length === 0 ? null : all };
}

function nameOf(object: KubeObject): string | undefined {
  return stringAt(object, 'metadata.name');
}
