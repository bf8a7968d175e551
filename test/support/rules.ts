import { ClassIndex } from '../../src/cluster/class-index.ts';
import { GROUP_SNAPSHOT_DEFAULT_ANNOTATION, SNAPSHOT_DEFAULT_ANNOTATION } from '../../src/rules/snapshot-api.ts';
import type { ClusterView } from '../../src/rules/class-view.ts';
import { fieldErrorText } from '../../src/rules/field-errors.ts';
import { familyFor } from '../../src/rules/table.ts';
import { GROUP_SNAPSHOT_GROUP, SNAPSHOT_GROUP } from '../../src/rules/snapshot-api.ts';
import type { KubeObject, RuleContext, RuleRequest, Verdict } from '../../src/rules/types.ts';

/** Builders for rule tests: objects, requests, a cluster of real class indexes. */
export interface ClassSpec {
  readonly name: string;
  readonly driver: string;
  readonly defaultValue?: string;
}

function indexOf(annotationKey: string, classes: readonly ClassSpec[]): ClassIndex {
  const index = new ClassIndex(annotationKey);
  for (const spec of classes) index.upsert(classObject(annotationKey, spec));
  return index;
}

export function classObject(annotationKey: string, spec: ClassSpec): KubeObject {
  const annotations = spec.defaultValue === undefined ? {} : { [annotationKey]: spec.defaultValue };
  return { metadata: { name: spec.name, annotations }, driver: spec.driver, deletionPolicy: 'Delete' };
}

export interface ClusterSpec {
  readonly snapshotClasses?: readonly ClassSpec[] | null;
  readonly groupSnapshotClasses?: readonly ClassSpec[] | null;
}

export function clusterOf(spec: ClusterSpec = {}): ClusterView {
  const { snapshotClasses = [], groupSnapshotClasses = [] } = spec;
  return {
    snapshotClasses: snapshotClasses === null ? null : indexOf(SNAPSHOT_DEFAULT_ANNOTATION, snapshotClasses),
    groupSnapshotClasses: groupSnapshotClasses === null ? null : indexOf(GROUP_SNAPSHOT_DEFAULT_ANNOTATION, groupSnapshotClasses),
  };
}

export function contextOf(spec: ClusterSpec = {}, preventVolumeModeConversion = true): RuleContext {
  return { cluster: clusterOf(spec), options: { preventVolumeModeConversion } };
}

export function create(object: KubeObject): RuleRequest {
  return { operation: 'CREATE', object, oldObject: null };
}

export function update(oldObject: KubeObject, object: KubeObject): RuleRequest {
  return { operation: 'UPDATE', object, oldObject };
}

export const SNAPSHOT_VERSIONS = ['v1', 'v1beta1'] as const;
export const GROUP_VERSIONS = ['v1alpha1', 'v1beta1', 'v1beta2', 'v1'] as const;

/** Runs the rules the table gives for (group, version, resource): the dispatch is under test too. */
export function rulesOf(group: string, version: string, resource: string) {
  const family = familyFor({ group, version, resource });
  if (family === undefined) throw new Error(`no rules for ${group}/${version}/${resource}`);
  return (request: RuleRequest, context: RuleContext = contextOf()): Verdict => family.rules(request, context);
}

export const snapshotRules = (version: string) => rulesOf(SNAPSHOT_GROUP, version, 'volumesnapshots');
export const contentRules = (version: string) => rulesOf(SNAPSHOT_GROUP, version, 'volumesnapshotcontents');
export const classRules = (version: string) => rulesOf(SNAPSHOT_GROUP, version, 'volumesnapshotclasses');
export const groupRules = (version: string) => rulesOf(GROUP_SNAPSHOT_GROUP, version, 'volumegroupsnapshots');
export const groupContentRules = (version: string) => rulesOf(GROUP_SNAPSHOT_GROUP, version, 'volumegroupsnapshotcontents');
export const groupClassRules = (version: string) => rulesOf(GROUP_SNAPSHOT_GROUP, version, 'volumegroupsnapshotclasses');

/** The violations as kubectl would print them, one line each: what the tests compare. */
export function errorLines(verdict: Verdict): string[] {
  return verdict.violations.map(fieldErrorText);
}

export function warningLines(verdict: Verdict): string[] {
  return verdict.warnings.map((warning) => warning.message);
}
