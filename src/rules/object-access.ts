import type { KubeObject } from './types.ts';

/**
 * Safe reads from decoded JSON. The schema has checked the types of the fields the rules read,
 * but the rules must stay total for any input, so nothing here throws.
 */
export function isRecord(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a dotted path, or undefined where any step is missing or not an object. */
export function valueAt(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const key of path.split('.')) {
    if (!isRecord(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** "Set" as docs/rules.md means it: present and not null. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

export function recordAt(object: unknown, path: string): KubeObject | undefined {
  const value = valueAt(object, path);
  return isRecord(value) ? value : undefined;
}

export function stringAt(object: unknown, path: string): string | undefined {
  const value = valueAt(object, path);
  return typeof value === 'string' ? value : undefined;
}

/** An annotation's value: annotation keys contain dots, so they cannot go through valueAt. */
export function annotation(object: unknown, key: string): string | undefined {
  const annotations = recordAt(object, 'metadata.annotations');
  const value = annotations === undefined ? undefined : annotations[key];
  return typeof value === 'string' ? value : undefined;
}

/** Structural equality of JSON values; null and absent are the same (both "not set"). */
export function jsonEqual(left: unknown, right: unknown): boolean {
  if (!isSet(left) || !isSet(right)) return !isSet(left) && !isSet(right);
  if (Array.isArray(left) || Array.isArray(right)) return arraysEqual(left, right);
  if (isRecord(left) && isRecord(right)) return recordsEqual(left, right);
  return left === right;
}

function arraysEqual(left: unknown, right: unknown): boolean {
  if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
  return left.every((item, index) => jsonEqual(item, right[index]));
}

function recordsEqual(left: KubeObject, right: KubeObject): boolean {
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) {
    if (!jsonEqual(left[key], right[key])) return false;
  }
  return true;
}
