import type { ErrorObject } from 'ajv';
import { decide } from '../../admission/decide.ts';
import type { AdmissionRequest } from '../../admission/review.ts';
import { WebhookError } from '../../errors.ts';
import { fieldErrorText, invalid, notSupported, required } from '../../rules/field-errors.ts';
import { isRecord, stringAt } from '../../rules/object-access.ts';
import { familyFor, handledResources } from '../../rules/table.ts';
import type { ResourceFamily } from '../../rules/table.ts';
import type { KubeObject, RuleContext, Violation, Warning } from '../../rules/types.ts';
import type { SchemaSet } from '../../schemas.ts';

/**
 * One object through the webhook's own decide(): the same dispatch, schema and rules as an
 * admission review, so the command and the webhook cannot disagree. Only a schema failure is
 * taken apart differently: the webhook answers it with one 400 message, here each wrong field
 * becomes an error on the object.
 */
export interface Subject {
  readonly family: ResourceFamily;
  readonly version: string;
  readonly object: KubeObject;
}

export interface PreviousVersion {
  readonly object: KubeObject;
  /** Where it came from, to name it in a message: `old/snap.yaml:3`, `the cluster`. */
  readonly origin: string;
}

export interface Evaluation {
  readonly operation: 'CREATE' | 'UPDATE';
  readonly violations: readonly Violation[];
  readonly warnings: readonly Warning[];
}

const SCHEMA_RULE = 'schema';

export function evaluate(subject: Subject, previous: PreviousVersion | undefined, context: RuleContext, schemas: SchemaSet): Evaluation {
  const { family, version, object } = subject;
  if (familyFor({ group: family.group, version, resource: family.resource }) === undefined) {
    return { operation: 'CREATE', violations: [], warnings: [unknownVersionWarning(family, version)] };
  }
  const { oldObject, warnings } = baselineOf(schemas, family, previous);
  const operation = oldObject === null ? 'CREATE' : 'UPDATE';
  const request: AdmissionRequest = {
    uid: 'snapshot-webhook-validate',
    kind: { group: family.group, version, kind: family.kind },
    resource: { group: family.group, version, resource: family.resource },
    name: stringAt(object, 'metadata.name'),
    namespace: family.namespaced ? (stringAt(object, 'metadata.namespace') ?? 'default') : undefined,
    operation,
    object,
    oldObject,
  };
  try {
    const decision = decide(request, context, schemas);
    return { operation, violations: decision.violations, warnings: [...warnings, ...decision.warnings] };
  } catch (error) {
    if (!(error instanceof WebhookError)) throw error;
    const violations = schemaViolations(schemas, family, object);
    const fallback = [invalid(SCHEMA_RULE, 'object', null, error.message)];
    return { operation, violations: violations.length > 0 ? violations : fallback, warnings };
  }
}

/** A previous version the API server could not have stored is no baseline: the object is checked as a creation. */
function baselineOf(
  schemas: SchemaSet,
  family: ResourceFamily,
  previous: PreviousVersion | undefined,
): { oldObject: KubeObject | null; warnings: Warning[] } {
  if (previous === undefined) return { oldObject: null, warnings: [] };
  const problems = schemaViolations(schemas, family, previous.object);
  if (problems.length === 0) return { oldObject: previous.object, warnings: [] };
  return { oldObject: null, warnings: [unusablePreviousWarning(family, previous, problems)] };
}

/**
 * decide() answers an unknown version with advice about the webhook's configuration; here the
 * manifest names a version no snapshot CRD serves, which is what the user has to fix.
 */
function unknownVersionWarning(family: ResourceFamily, version: string): Warning {
  const served = handledResources()
    .filter((resource) => resource.group === family.group && resource.resource === family.resource)
    .map((resource) => resource.version);
  return {
    rule: 'unknown-version',
    message: `${family.group}/${version} is not a version of ${family.kind} (${served.join(', ')}): not checked`,
  };
}

function unusablePreviousWarning(family: ResourceFamily, previous: PreviousVersion, violations: readonly Violation[]): Warning {
  return {
    rule: 'previous-version-invalid',
    message:
      `the previous version (${previous.origin}) does not match the ${family.kind} schema ` +
      `(${violations.map(fieldErrorText).join('; ')}): checked as a new object`,
  };
}

/** The family's JSON Schema errors as field errors, one per wrong field. */
function schemaViolations(schemas: SchemaSet, family: ResourceFamily, object: KubeObject): Violation[] {
  const validate = schemas.validator(family.schemaId);
  if (validate(object)) return [];
  const byText = new Map<string, Violation>();
  for (const error of validate.errors ?? []) {
    const violation = violationOf(error, object);
    byText.set(fieldErrorText(violation), violation);
  }
  return [...byText.values()];
}

function violationOf(error: ErrorObject, object: KubeObject): Violation {
  const segments = error.instancePath.split('/').slice(1).map(unescapePointer);
  const field = fieldPath(segments);
  const value = valueAtSegments(object, segments);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return required(SCHEMA_RULE, fieldPath([...segments, String(params.missingProperty)]), 'must be set');
    case 'enum':
      return notSupported(SCHEMA_RULE, field, value, (params.allowedValues as unknown[]).map(String));
    case 'type':
      return invalid(SCHEMA_RULE, field, value, `must be of type ${String(params.type).split(',').join(' or ')}`);
    default:
      return invalid(SCHEMA_RULE, field, value, error.message ?? 'is invalid');
  }
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** JSON Pointer parts → the rules' path syntax: `spec.matchExpressions[0]`, `metadata.annotations[a.b/c]`. */
function fieldPath(segments: readonly string[]): string {
  if (segments.length === 0) return 'object';
  return segments
    .map((segment, index) => {
      if (/^\d+$/.test(segment) || /[./]/.test(segment)) return `[${segment}]`;
      return index === 0 ? segment : `.${segment}`;
    })
    .join('');
}

function valueAtSegments(object: unknown, segments: readonly string[]): unknown {
  let current = object;
  for (const segment of segments) {
    if (Array.isArray(current)) current = current[Number(segment)] as unknown;
    else if (isRecord(current)) current = current[segment];
    else return undefined;
  }
  return current;
}
