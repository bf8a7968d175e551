import { forbidden, invalid, renderValue, required } from './field-errors.ts';
import { namespaceProblems, objectNameProblems } from './names.ts';
import { isSet, jsonEqual, valueAt } from './object-access.ts';
import type { RuleRequest, Violation } from './types.ts';

/**
 * Checks shared by the resource families. Each takes the request and a field path and returns
 * the violations it finds; the family files say which fields and in which words.
 */

/**
 * Ratcheting: on UPDATE a validity rule looks only at a field the update changes, so that an
 * object stored before the rule existed stays updatable (finalizers must be removable).
 */
export function isChangedBy(request: RuleRequest, path: string, equal = jsonEqual): boolean {
  if (request.operation !== 'UPDATE') return true;
  return !equal(valueAt(request.oldObject, path), valueAt(request.object, path));
}

export interface ImmutableOptions {
  /** Setting the field where it was unset is allowed ("immutable once set"). */
  readonly onceSet?: boolean;
  readonly equal?: (left: unknown, right: unknown) => boolean;
}

/** Immutability applies on every UPDATE, ratcheting or not. */
export function checkImmutable(rule: string, request: RuleRequest, path: string, options: ImmutableOptions = {}): Violation[] {
  if (request.operation !== 'UPDATE') return [];
  const before = valueAt(request.oldObject, path);
  const after = valueAt(request.object, path);
  const equal = options.equal ?? jsonEqual;
  if (equal(before, after)) return [];
  if (!isSet(before)) {
    return options.onceSet ? [] : [forbidden(rule, path, 'field is immutable: it cannot be set after creation')];
  }
  if (!isSet(after)) {
    return [forbidden(rule, path, `field is immutable: it was ${renderValue(before)} and cannot be removed`)];
  }
  return [invalid(rule, path, after, `field is immutable (it was ${renderValue(before)})`)];
}

/**
 * Exactly one of two fields of one object must be set. Reported on the object, with its value,
 * so the user sees both fields at once.
 */
export interface OneOf {
  /** The object holding the two fields, e.g. "spec.source". */
  readonly path: string;
  readonly fields: readonly [string, string];
  /** What each field is for, so the user knows which one to keep. */
  readonly hint: string;
}

export function checkExactlyOne(rule: string, request: RuleRequest, { path, fields, hint }: OneOf): Violation[] {
  if (!isChangedBy(request, path)) return [];
  const container = valueAt(request.object, path);
  const count = fields.filter((field) => isSet(valueAt(container, field))).length;
  if (count === 1) return [];
  const which = `exactly one of ${fields[0]} and ${fields[1]} must be set`;
  if (count === 0 && !isSet(container)) return [required(rule, path, `${which}: ${hint}`)];
  return [invalid(rule, path, container ?? {}, `${which}: ${hint}`)];
}

/** A reference to another object by name, when set: a valid, non-empty object name. */
export function checkOptionalName(rule: string, request: RuleRequest, path: string): Violation[] {
  const value = valueAt(request.object, path);
  if (!isSet(value) || !isChangedBy(request, path)) return [];
  return nameViolations(rule, path, value, objectNameProblems);
}

/**
 * Both parts of a reference to a namespaced object: set and valid. Each part ratchets on its own:
 * a controller that only adds the reference's uid when it binds must not trip over a stored name.
 */
export function checkObjectReference(rule: string, request: RuleRequest, path: string, what: string): Violation[] {
  return [
    ...requiredName(rule, request, `${path}.name`, { what: `the name of the ${what}`, problemsOf: objectNameProblems }),
    ...requiredName(rule, request, `${path}.namespace`, {
      what: `the namespace of the ${what}`,
      problemsOf: namespaceProblems,
    }),
  ];
}

interface NameKind {
  readonly what: string;
  readonly problemsOf: (name: string) => string[];
}

function requiredName(rule: string, request: RuleRequest, path: string, { what, problemsOf }: NameKind): Violation[] {
  if (!isChangedBy(request, path)) return [];
  const value = valueAt(request.object, path);
  if (!isSet(value)) return [required(rule, path, `${what} must be set`)];
  return nameViolations(rule, path, value, problemsOf);
}

function nameViolations(rule: string, path: string, value: unknown, problemsOf: (name: string) => string[]): Violation[] {
  if (typeof value !== 'string') return [invalid(rule, path, value, 'must be a string')];
  return problemsOf(value).map((problem) => invalid(rule, path, value, problem));
}

/**
 * A CSI volume or snapshot ID, or a list of them, when set: never empty (the CSI specification
 * never hands out an empty ID), each empty one reported with its own path.
 */
export function checkHandles(rule: string, request: RuleRequest, path: string): Violation[] {
  const value = valueAt(request.object, path);
  if (!isSet(value) || !isChangedBy(request, path)) return [];
  if (value === '' || (Array.isArray(value) && value.length === 0)) return [invalid(rule, path, value, 'must not be empty')];
  if (!Array.isArray(value)) return [];
  return value.flatMap((handle: unknown, index) => (handle === '' ? [invalid(rule, `${path}[${index}]`, '', 'must not be empty')] : []));
}
