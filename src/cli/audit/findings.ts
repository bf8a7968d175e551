import type { ClassIndex } from '../../cluster/class-index.ts';
import { stringAt } from '../../rules/object-access.ts';
import type { KubeObject, RuleContext } from '../../rules/types.ts';
import type { SchemaSet } from '../../schemas.ts';
import { findingError, findingWarning } from '../findings.ts';
import type { FindingError, FindingWarning } from '../findings.ts';
import { evaluate } from '../validate/evaluate.ts';
import type { Subject } from '../validate/evaluate.ts';
import { GROUP_SNAPSHOT_DEFAULT_ANNOTATION, SNAPSHOT_DEFAULT_ANNOTATION } from '../../rules/snapshot-api.ts';

/**
 * What audit finds: stored objects that break a rule the webhook applies on creation, and CSI
 * drivers with more than one default class.
 */
export interface AuditObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string;
  readonly errors: readonly AuditError[];
  readonly warnings: readonly AuditWarning[];
}

export type AuditError = FindingError;
export type AuditWarning = FindingWarning;

export type ClassKind = 'VolumeSnapshotClass' | 'VolumeGroupSnapshotClass';

export interface DuplicateDefaults {
  readonly kind: ClassKind;
  readonly driver: string;
  readonly annotation: string;
  /** Every default class of the driver, oldest first. */
  readonly classes: readonly string[];
  /** What goes wrong and how to fix it. */
  readonly message: string;
}

/**
 * A stored object checked as if it were created now (the webhook's own decide(), through
 * validate's evaluate()); undefined when it has nothing to report. On UPDATE the webhook lets an
 * object that was stored invalid stay as it is (ratcheting): finding those is what audit is for.
 */
export function auditObject(stored: Subject, context: RuleContext, schemas: SchemaSet): AuditObject | undefined {
  const { violations, warnings } = evaluate(stored, undefined, context, schemas);
  if (violations.length === 0 && warnings.length === 0) return undefined;
  const { family, version, object } = stored;
  return {
    apiVersion: `${family.group}/${version}`,
    kind: family.kind,
    namespace: stringAt(object, 'metadata.namespace') ?? null,
    name: stringAt(object, 'metadata.name') ?? '',
    errors: violations.map(findingError),
    warnings: warnings.map(findingWarning),
  };
}

interface ClassKindText {
  readonly annotation: string;
  readonly resource: string;
  readonly snapshots: string;
  readonly classField: string;
}

const CLASS_KINDS: Readonly<Record<ClassKind, ClassKindText>> = {
  VolumeSnapshotClass: {
    annotation: SNAPSHOT_DEFAULT_ANNOTATION,
    resource: 'volumesnapshotclass',
    snapshots: 'VolumeSnapshot',
    classField: 'volumeSnapshotClassName',
  },
  VolumeGroupSnapshotClass: {
    annotation: GROUP_SNAPSHOT_DEFAULT_ANNOTATION,
    resource: 'volumegroupsnapshotclass',
    snapshots: 'VolumeGroupSnapshot',
    classField: 'volumeGroupSnapshotClassName',
  },
};

/**
 * The drivers of one class kind with more than one default. The snapshot controller looks for
 * the default of a driver only when a snapshot names no class, and with two or more it refuses
 * to choose: such snapshots fail, whichever class was meant.
 */
export function duplicateDefaults(kind: ClassKind, index: ClassIndex, classes: readonly KubeObject[]): DuplicateDefaults[] {
  const created = new Map(
    classes.map((object) => [stringAt(object, 'metadata.name'), stringAt(object, 'metadata.creationTimestamp') ?? '']),
  );
  const oldestFirst = (left: string, right: string): number =>
    (created.get(left) ?? '').localeCompare(created.get(right) ?? '') || left.localeCompare(right);
  return index
    .driversWithMultipleDefaults()
    .map(({ driver, classes: names }) => {
      const sorted = [...names].sort(oldestFirst);
      return { kind, driver, annotation: CLASS_KINDS[kind].annotation, classes: sorted, message: duplicateMessage(kind, driver, sorted) };
    })
    .sort((left, right) => left.driver.localeCompare(right.driver));
}

function duplicateMessage(kind: ClassKind, driver: string, classes: readonly string[]): string {
  const text = CLASS_KINDS[kind];
  const [keep = '', ...others] = classes;
  const commands = others.map((name) => `kubectl annotate ${text.resource} ${name} ${text.annotation}-`).join('; ');
  return (
    `driver "${driver}" has ${classes.length} default ${kind}es: ${classes.map((name) => `"${name}"`).join(', ')}. ` +
    `The snapshot controller refuses to choose between them: every ${text.snapshots} of this driver's volumes ` +
    `that names no spec.${text.classField} fails. To keep "${keep}" (the oldest) as the default, ` +
    `remove the annotation from the others: ${commands}`
  );
}
