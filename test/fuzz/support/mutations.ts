/**
 * Mutations of generated reviews, on the value (wrong types, nulls, missing and extra fields,
 * huge strings and arrays, deep nesting, unicode, numbers where names go) and on the JSON text
 * (duplicate keys, truncation, stray bytes, prototype keys). Every mutation works on a copy.
 */
import fc from 'fast-check';
import { defineField, keyValue, smallJson } from './schema-arbitrary.ts';

export type JsonPath = readonly (string | number)[];

export const VALUE_MUTATIONS = [
  'wrong-type',
  'null',
  'delete',
  'extra-field',
  'huge-string',
  'huge-array',
  'deep-nesting',
  'unicode',
  'number-for-name',
] as const;

export type ValueMutationKind = (typeof VALUE_MUTATIONS)[number];

/** What an extra field holds besides small JSON: built when applied, so a report prints small. */
export type Heavy = 'none' | 'deep-nesting' | 'huge-array' | 'huge-string';

export interface ValueMutation {
  readonly kind: ValueMutationKind;
  /** Index into the paths of the value (taken modulo their count). */
  readonly at: number;
  readonly payload: unknown;
  readonly size: number;
  readonly key: string;
  readonly heavy: Heavy;
}

/** Depths around the limit the webhook enforces (100) and far past where recursion breaks. */
export const DEPTHS = [5, 50, 99, 100, 101, 1_000, 10_000, 100_000] as const;
const HUGE_STRING_SIZES = [1_000, 100_000, 1_000_000] as const;
const HUGE_ARRAY_SIZES = [1_000, 10_000, 100_000] as const;

const wrongTypeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer(), { maxLength: 3 }),
);

const numberValue: fc.Arbitrary<unknown> = fc.oneof(fc.integer(), fc.constantFrom(0, -0, 1.5, 1e308, -1e308, 2 ** 53 + 1));

const unicodeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('\ud800', '\udfff', 'a\u0000b', '\u202e', '\ufeff', 'Ω≈ç√∫', '𝕒𝕓𝕔'),
);

function payloadFor(kind: ValueMutationKind): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'wrong-type':
      return wrongTypeValue;
    case 'extra-field':
      return smallJson;
    case 'unicode':
      return unicodeValue;
    case 'number-for-name':
      return numberValue;
    default:
      return fc.constant(null);
  }
}

export function sizesFor(kind: ValueMutationKind | Heavy): fc.Arbitrary<number> {
  switch (kind) {
    case 'huge-string':
      return fc.constantFrom(...HUGE_STRING_SIZES);
    case 'huge-array':
      return fc.constantFrom(...HUGE_ARRAY_SIZES);
    case 'deep-nesting':
      return fc.constantFrom(...DEPTHS);
    default:
      return fc.constant(0);
  }
}

export const heavyArbitrary: fc.Arbitrary<Heavy> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Heavy>('none') },
  { weight: 1, arbitrary: fc.constantFrom<Heavy>('deep-nesting', 'huge-array', 'huge-string') },
);

/** Huge and deep values cost time on every run: rarer than the cheap mutations. */
const kindArbitrary: fc.Arbitrary<ValueMutationKind> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<ValueMutationKind>('wrong-type', 'null', 'delete', 'extra-field', 'unicode', 'number-for-name') },
  { weight: 1, arbitrary: fc.constantFrom<ValueMutationKind>('huge-string', 'huge-array', 'deep-nesting') },
);

/** An extra field may hold a heavy value too: where no schema looks, deep or huge values can hide. */
function heavyFor(kind: ValueMutationKind): fc.Arbitrary<{ heavy: Heavy; size: number }> {
  const heavy = kind === 'extra-field' ? heavyArbitrary : fc.constant<Heavy>('none');
  return heavy.chain((chosen) => sizesFor(chosen === 'none' ? kind : chosen).map((size) => ({ heavy: chosen, size })));
}

export const valueMutation: fc.Arbitrary<ValueMutation> = kindArbitrary.chain((kind) =>
  fc
    .record({ kind: fc.constant(kind), at: fc.nat(), payload: payloadFor(kind), key: keyValue, weight: heavyFor(kind) })
    .map(({ weight, ...rest }) => ({ ...rest, ...weight })),
);

/** Every path into a JSON value, the root first (at most `limit` of them). */
export function pathsOf(value: unknown, limit = 300): JsonPath[] {
  const paths: JsonPath[] = [];
  const queue: Array<{ path: JsonPath; node: unknown }> = [{ path: [], node: value }];
  while (queue.length > 0 && paths.length < limit) {
    const { path, node } = queue.shift() as { path: JsonPath; node: unknown };
    paths.push(path);
    if (Array.isArray(node)) node.forEach((item: unknown, index) => queue.push({ path: [...path, index], node: item }));
    else if (typeof node === 'object' && node !== null) {
      for (const [key, item] of Object.entries(node)) queue.push({ path: [...path, key], node: item });
    }
  }
  return paths;
}

/** `[[[…]]]` `depth` levels deep, built without recursion. */
export function nested(depth: number): unknown {
  let value: unknown = [];
  for (let level = 1; level < depth; level += 1) value = level % 2 === 0 ? [value] : { n: value };
  return value;
}

function heavyValue(heavy: Heavy, size: number, current: unknown): unknown {
  switch (heavy) {
    case 'huge-string':
      return 'x'.repeat(size);
    case 'huge-array':
      // Of the value it replaces when that is a short string (a name repeated), else of 'a'.
      return new Array<unknown>(size).fill(typeof current === 'string' && current.length <= 64 ? current : 'a');
    case 'deep-nesting':
      return nested(size);
    case 'none':
      return undefined;
  }
}

function replacement(mutation: ValueMutation, current: unknown): unknown {
  switch (mutation.kind) {
    case 'null':
      return null;
    case 'extra-field':
      // A copy: the same payload added twice must not end up inside itself.
      return mutation.heavy === 'none' ? structuredClone(mutation.payload) : heavyValue(mutation.heavy, mutation.size, current);
    case 'huge-string':
    case 'huge-array':
    case 'deep-nesting':
      return heavyValue(mutation.kind, mutation.size, current);
    default:
      return structuredClone(mutation.payload);
  }
}

function parentAndKey(root: unknown, path: JsonPath): { parent: unknown; key: string | number } | undefined {
  if (path.length === 0) return undefined;
  let parent: unknown = root;
  for (const step of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return undefined;
    parent = (parent as Record<string | number, unknown>)[step];
  }
  const key = path[path.length - 1] as string | number;
  return typeof parent === 'object' && parent !== null ? { parent, key } : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function closestObject(root: unknown, path: JsonPath): Record<string, unknown> | undefined {
  let found = isPlainObject(root) ? root : undefined;
  let node: unknown = root;
  for (const step of path) {
    node = (node as Record<string | number, unknown>)[step];
    if (isPlainObject(node)) found = node;
    else if (typeof node !== 'object' || node === null) break;
  }
  return found;
}

/** Applies one mutation in place; the root itself is only ever replaced by the caller. */
function applyInPlace(root: unknown, mutation: ValueMutation): unknown {
  const paths = pathsOf(root);
  const path = paths[mutation.at % paths.length] ?? [];
  const target = parentAndKey(root, path);
  const node = target === undefined ? root : (target.parent as Record<string | number, unknown>)[target.key];
  if (mutation.kind === 'extra-field') {
    // Adds a field to the object at the path, or to the closest object around it.
    const object = closestObject(root, path);
    if (object !== undefined) defineField(object, mutation.key, replacement(mutation, undefined));
    return root;
  }
  if (target === undefined) return mutation.kind === 'delete' ? undefined : replacement(mutation, root);
  const parent = target.parent as Record<string | number, unknown>;
  if (mutation.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(target.key), 1);
    else delete parent[target.key];
    return root;
  }
  defineField(parent, String(target.key), replacement(mutation, node));
  return root;
}

/** The value with the mutations applied, on a deep copy. */
export function mutate(value: unknown, mutations: readonly ValueMutation[]): unknown {
  let result: unknown = structuredClone(value);
  for (const mutation of mutations) result = applyInPlace(result, mutation);
  return result;
}

export const TEXT_MUTATIONS = [
  'truncate',
  'duplicate-key',
  'flip-byte',
  'insert-bytes',
  'bom',
  'proto-key',
  'whitespace',
  'not-json',
] as const;

export type TextMutationKind = (typeof TEXT_MUTATIONS)[number];

export interface TextMutation {
  readonly kind: TextMutationKind;
  readonly at: number;
  readonly bytes: Uint8Array;
  readonly junk: unknown;
}

export const textMutation: fc.Arbitrary<TextMutation> = fc.record({
  kind: fc.constantFrom(...TEXT_MUTATIONS),
  at: fc.nat(),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  junk: smallJson,
});

const PROTO_KEYS = ['"__proto__":{"polluted":true},', '"constructor":{"prototype":{"polluted":true}},'];

function duplicateKey(text: string, mutation: TextMutation): string {
  const keys = [...text.matchAll(/"(?:[^"\\]|\\.)*"\s*:/g)];
  const found = keys[mutation.at % Math.max(1, keys.length)];
  if (found === undefined) return text;
  const index = found.index;
  return `${text.slice(0, index)}${found[0]}${JSON.stringify(mutation.junk)},${text.slice(index)}`;
}

function spliceBytes(body: Buffer, at: number, insert: Uint8Array, remove: number): Buffer {
  const index = at % (body.length + 1);
  return Buffer.concat([body.subarray(0, index), insert, body.subarray(index + remove)]);
}

/** The body as bytes after a mutation of its JSON text. */
export function mutateText(text: string, mutation: TextMutation): Buffer {
  const body = Buffer.from(text, 'utf8');
  switch (mutation.kind) {
    case 'truncate':
      return body.subarray(0, mutation.at % (body.length + 1));
    case 'duplicate-key':
      return Buffer.from(duplicateKey(text, mutation), 'utf8');
    case 'flip-byte':
      return spliceBytes(body, mutation.at, mutation.bytes.subarray(0, 1), 1);
    case 'insert-bytes':
      return spliceBytes(body, mutation.at, mutation.bytes, 0);
    case 'bom':
      return Buffer.concat([Buffer.from('\ufeff', 'utf8'), body]);
    case 'proto-key':
      return Buffer.from(text.replace('{', `{${PROTO_KEYS[mutation.at % PROTO_KEYS.length] ?? ''}`), 'utf8');
    case 'whitespace':
      return Buffer.from(`${' \n\t'.repeat(mutation.at % 1000)}${text}\r\n`, 'utf8');
    case 'not-json':
      return Buffer.from(mutation.bytes);
  }
}

type Frame =
  { readonly kind: 'text'; readonly text: string } | { readonly kind: 'value'; readonly value: unknown; readonly inArray: boolean };

function scalarText(value: unknown, inArray: boolean): string | undefined {
  if (value === undefined || typeof value === 'function') return inArray ? 'null' : undefined;
  return JSON.stringify(value);
}

function pushChildren(stack: Frame[], value: object): void {
  const isArray = Array.isArray(value);
  const entries = isArray
    ? (value as unknown[]).map((item) => ['', item] as const)
    : Object.entries(value).filter(([, item]) => item !== undefined && typeof item !== 'function');
  const frames: Frame[] = [{ kind: 'text', text: isArray ? '[' : '{' }];
  entries.forEach(([key, item], index) => {
    if (index > 0) frames.push({ kind: 'text', text: ',' });
    if (!isArray) frames.push({ kind: 'text', text: `${JSON.stringify(key)}:` });
    frames.push({ kind: 'value', value: item, inArray: isArray });
  });
  frames.push({ kind: 'text', text: isArray ? ']' : '}' });
  for (let index = frames.length - 1; index >= 0; index -= 1) stack.push(frames[index] as Frame);
}

/** JSON.stringify without recursion: the mutated values nest deeper than its stack allows. */
export function toJson(value: unknown): string {
  const parts: string[] = [];
  const stack: Frame[] = [{ kind: 'value', value, inArray: true }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if (frame.kind === 'text') parts.push(frame.text);
    else if (typeof frame.value === 'object' && frame.value !== null) pushChildren(stack, frame.value);
    else parts.push(scalarText(frame.value, frame.inArray) ?? 'null');
  }
  return parts.join('');
}
