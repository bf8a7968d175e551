import type { ClassView, ClusterView } from './class-view.ts';
import { forbidden } from './field-errors.ts';
import { annotation, stringAt } from './object-access.ts';
import type { ResourceRules, RuleRequest, Violation, Warning } from './types.ts';

/**
 * Rules 9–10 and 18 (docs/rules.md): one default class per CSI driver. Two defaults for one driver make every
 * snapshot that names no class fail, and since upstream removed its webhook nothing else stops it.
 */
export interface DefaultClassKind {
  readonly kind: 'VolumeSnapshotClass' | 'VolumeGroupSnapshotClass';
  /** For the kubectl command in the message. */
  readonly resource: string;
  readonly annotationKey: string;
  readonly rulePrefix: string;
  readonly classesOf: (cluster: ClusterView) => ClassView | null;
}

export function defaultClassRules(kind: DefaultClassKind): ResourceRules {
  return (request, context) => ({
    violations: conflictViolations(kind, request, context.cluster),
    warnings: annotationWarnings(kind, request),
  });
}

function conflictViolations(kind: DefaultClassKind, request: RuleRequest, cluster: ClusterView): Violation[] {
  const classes = kind.classesOf(cluster);
  if (classes === null || !needsLookup(kind, request)) return [];
  const driver = stringAt(request.object, 'driver') ?? '';
  const ownName = stringAt(request.object, 'metadata.name');
  // The object under review never conflicts with itself, whatever a stale cache says.
  const others = classes.defaultsFor(driver).filter((name) => name !== ownName);
  if (others.length === 0) return [];
  return [forbidden(`${kind.rulePrefix}-single-default`, annotationPath(kind), conflictDetail(kind, driver, others))];
}

/**
 * Looked up on CREATE of a default, and on UPDATE that makes a class default or moves a default
 * to another driver. An update of a class that was already the default for the same driver is
 * allowed without looking: duplicates that exist already must not block edits of either.
 */
function needsLookup(kind: DefaultClassKind, request: RuleRequest): boolean {
  if (!isDefault(kind, request.object)) return false;
  if (request.operation !== 'UPDATE') return true;
  const wasDefault = isDefault(kind, request.oldObject);
  return !wasDefault || stringAt(request.oldObject, 'driver') !== stringAt(request.object, 'driver');
}

function isDefault(kind: DefaultClassKind, object: unknown): boolean {
  return annotation(object, kind.annotationKey) === 'true';
}

function annotationPath(kind: DefaultClassKind): string {
  return `metadata.annotations[${kind.annotationKey}]`;
}

function conflictDetail(kind: DefaultClassKind, driver: string, others: readonly string[]): string {
  const quoted = others.map((name) => `"${name}"`).join(', ');
  const existing = others.length === 1 ? `a default ${kind.kind}, ${quoted}` : `${others.length} default ${kind.kind}es: ${quoted}`;
  const commands = others.map((name) => `kubectl annotate ${kind.resource} ${name} ${kind.annotationKey}-`).join('; ');
  return (
    `driver "${driver}" already has ${existing}; only one default per driver is allowed ` +
    `(with two, snapshots that name no class fail). To make this class the default, ` +
    `first remove the annotation from ${quoted}: ${commands}`
  );
}

/** Rule 10: "True", "yes" or "1" do not make a default, which is almost never what was meant. */
function annotationWarnings(kind: DefaultClassKind, request: RuleRequest): Warning[] {
  const value = annotation(request.object, kind.annotationKey);
  if (value === undefined || value === 'true') return [];
  if (request.operation === 'UPDATE' && annotation(request.oldObject, kind.annotationKey) === value) return [];
  return [
    {
      rule: `${kind.rulePrefix}-default-annotation`,
      message: `annotation ${kind.annotationKey} is ${JSON.stringify(value)}, not "true": this class is not a default`,
    },
  ];
}
