import type { KubeConfig } from '@kubernetes/client-node';
import { ClassIndex } from '../../cluster/class-index.ts';
import type { ClusterView } from '../../rules/class-view.ts';
import { discoverServedVersion, GROUP_SNAPSHOT_CLASSES, SNAPSHOT_CLASSES } from '../../cluster/discovery.ts';
import { SNAPSHOT_FAMILIES } from '../../rules/table.ts';
import { GROUP_SNAPSHOT_GROUP } from '../../rules/snapshot-api.ts';
import type { ResourceFamily } from '../../rules/table.ts';
import type { KubeObject, RuleContext } from '../../rules/types.ts';
import type { SchemaSet } from '../../schemas.ts';
import { auditObject, duplicateDefaults } from './findings.ts';
import type { AuditObject, ClassKind, DuplicateDefaults } from './findings.ts';
import { forEachPage, listAll } from '../cluster-objects.ts';
import { scanPendingClaims, type ClaimScan } from './pending-claims.ts';
import type { ListEnd, ListOptions } from '../cluster-objects.ts';
import { GROUP_SNAPSHOT_DEFAULT_ANNOTATION, SNAPSHOT_DEFAULT_ANNOTATION } from '../../rules/snapshot-api.ts';

/**
 * One pass over the six kinds of a cluster: which version each is served at, every object checked
 * as it arrives (only findings are kept, so memory follows the findings, not the cluster), and the
 * classes' defaults per driver.
 */
export interface AuditedResource {
  readonly group: string;
  readonly resource: string;
  readonly kind: string;
  /** The version listed; null when the cluster does not serve the resource (skipped). */
  readonly version: string | null;
  readonly objects: number;
}

export interface ClusterScan {
  readonly resources: readonly AuditedResource[];
  readonly notes: readonly string[];
  readonly objects: readonly AuditObject[];
  readonly duplicateDefaults: readonly DuplicateDefaults[];
}

export interface ScanOptions {
  readonly list: ListOptions;
  readonly schemas: SchemaSet;
}

/** The versions each group is read at, newest first: those the webhook's rules know. */
function versionsOf(family: ResourceFamily): readonly string[] {
  return family.group === GROUP_SNAPSHOT_GROUP ? GROUP_SNAPSHOT_CLASSES.versions : SNAPSHOT_CLASSES.versions;
}

const RULE_OPTIONS = { preventVolumeModeConversion: true }; // an UPDATE rule: audit checks creations only

interface ListedClasses {
  readonly kind: ClassKind;
  readonly index: ClassIndex;
  readonly objects: readonly KubeObject[];
}

const CLASS_ANNOTATIONS: Readonly<Record<ClassKind, string>> = {
  VolumeSnapshotClass: SNAPSHOT_DEFAULT_ANNOTATION,
  VolumeGroupSnapshotClass: GROUP_SNAPSHOT_DEFAULT_ANNOTATION,
};

/** Throws when the API server cannot be asked or answers an error: the audit would be incomplete. */
export async function scanCluster(kubeConfig: KubeConfig, options: ScanOptions): Promise<ClusterScan> {
  const served = await servedVersions(kubeConfig, options.list.timeoutMs);
  const notes = absenceNotes(served);
  // Classes first: the snapshots' warnings (a class that does not exist) need all of them.
  const classes = await listClasses(kubeConfig, served, options.list);
  const view: ClusterView = {
    snapshotClasses: classesOfKind(classes, 'VolumeSnapshotClass')?.index ?? null,
    groupSnapshotClasses: classesOfKind(classes, 'VolumeGroupSnapshotClass')?.index ?? null,
  };
  const resources: AuditedResource[] = [];
  const objects: AuditObject[] = [];
  for (const family of SNAPSHOT_FAMILIES) {
    const version = served.get(family) ?? null;
    const scanned =
      version === null ? SKIPPED : await scanResource({ kubeConfig, family, version, classes: classes.get(family), view }, options);
    if (scanned.end === 'gone')
      notes.push(`${family.resource}.${family.group} went away while it was listed (CRD removed?): partly checked`);
    resources.push({ group: family.group, resource: family.resource, kind: family.kind, version, objects: scanned.count });
    objects.push(...scanned.findings);
  }
  const claims = await scanPendingClaims(kubeConfig, { cluster: view, options: RULE_OPTIONS }, options);
  resources.push(claimsResource(claims));
  notes.push(...(claims.note === undefined ? [] : [claims.note]));
  objects.push(...claims.findings);
  const duplicates = [...classes.values()].flatMap((listed) => duplicateDefaults(listed.kind, listed.index, listed.objects));
  return { resources, notes, objects, duplicateDefaults: duplicates };
}

function claimsResource(claims: ClaimScan): AuditedResource {
  const version = claims.listed === null ? null : 'v1';
  return { group: '', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', version, objects: claims.listed ?? 0 };
}

interface ResourceScan {
  readonly end: ListEnd;
  readonly count: number;
  readonly findings: readonly AuditObject[];
}

const SKIPPED: ResourceScan = { end: 'listed', count: 0, findings: [] };

interface ResourceInput {
  readonly kubeConfig: KubeConfig;
  readonly family: ResourceFamily;
  readonly version: string;
  /** The classes, when the resource is a class kind: listed already. */
  readonly classes: ListedClasses | undefined;
  readonly view: ClusterView;
}

/** Lists one resource page by page and keeps the findings only. */
async function scanResource(input: ResourceInput, options: ScanOptions): Promise<ResourceScan> {
  const { kubeConfig, family, version, classes } = input;
  const context = contextFor(family, input.view);
  const findings: AuditObject[] = [];
  const check = (items: readonly KubeObject[]): void => {
    for (const object of items) {
      const finding = auditObject({ family, version, object }, context, options.schemas);
      if (finding !== undefined) findings.push(finding);
    }
  };
  if (classes !== undefined) {
    check(classes.objects);
    return { end: 'listed', count: classes.objects.length, findings };
  }
  let count = 0;
  const end = await forEachPage(kubeConfig, collectionPath(family, version), options.list, (items) => {
    count += items.length;
    check(items);
  });
  return { end, count, findings };
}

/**
 * A class is checked without the other classes: two defaults for a driver are reported once per
 * driver, naming all of them, rather than once per class, each blaming the other.
 */
function contextFor(family: ResourceFamily, view: ClusterView): RuleContext {
  const cluster: ClusterView = {
    snapshotClasses: family.kind === 'VolumeSnapshotClass' ? null : view.snapshotClasses,
    groupSnapshotClasses: family.kind === 'VolumeGroupSnapshotClass' ? null : view.groupSnapshotClasses,
  };
  return { cluster, options: RULE_OPTIONS };
}

/** The classes of both kinds the cluster serves, whole (classes are few), by family. */
async function listClasses(
  kubeConfig: KubeConfig,
  served: ReadonlyMap<ResourceFamily, string | null>,
  list: ListOptions,
): Promise<Map<ResourceFamily, ListedClasses>> {
  const classes = new Map<ResourceFamily, ListedClasses>();
  for (const [family, version] of served) {
    const kind = classKindOf(family);
    if (kind === undefined || version === null) continue;
    const objects = await listAll(kubeConfig, collectionPath(family, version), list);
    const index = new ClassIndex(CLASS_ANNOTATIONS[kind]);
    index.replaceAll(objects);
    classes.set(family, { kind, index, objects });
  }
  return classes;
}

function classKindOf(family: ResourceFamily): ClassKind | undefined {
  return family.kind === 'VolumeSnapshotClass' || family.kind === 'VolumeGroupSnapshotClass' ? family.kind : undefined;
}

function classesOfKind(classes: ReadonlyMap<ResourceFamily, ListedClasses>, kind: ClassKind): ListedClasses | undefined {
  return [...classes.values()].find((listed) => listed.kind === kind);
}

function collectionPath(family: ResourceFamily, version: string): string {
  return `/apis/${family.group}/${version}/${family.resource}`;
}

/** family → the newest version the cluster serves it at, or null. One family after another: a handful of small GETs. */
async function servedVersions(kubeConfig: KubeConfig, timeoutMs: number): Promise<Map<ResourceFamily, string | null>> {
  const served = new Map<ResourceFamily, string | null>();
  for (const family of SNAPSHOT_FAMILIES) {
    const target = { group: family.group, plural: family.resource, versions: versionsOf(family) };
    const discovery = await discoverServedVersion(kubeConfig, target, { timeoutMs });
    served.set(family, discovery.kind === 'served' ? discovery.version : null);
  }
  return served;
}

/** One note per group when none of its kinds is served (CRDs not installed), else one per missing kind. */
function absenceNotes(served: ReadonlyMap<ResourceFamily, string | null>): string[] {
  const absent = SNAPSHOT_FAMILIES.filter((family) => served.get(family) === null);
  const groups = [...new Set(absent.map((family) => family.group))];
  return groups.flatMap((group) => {
    const missing = absent.filter((family) => family.group === group);
    const whole = missing.length === SNAPSHOT_FAMILIES.filter((family) => family.group === group).length;
    if (whole) {
      const kinds = missing.map((family) => (family.kind.endsWith('s') ? `${family.kind}es` : `${family.kind}s`)).join(', ');
      return [`${group} is not served (its CRDs are not installed): ${kinds} skipped`];
    }
    return missing.map((family) => `${family.resource}.${group} is not served at ${versionsOf(family).join(', ')}: skipped`);
  });
}
