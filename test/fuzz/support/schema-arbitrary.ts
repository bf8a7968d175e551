/**
 * fast-check arbitraries generated from the repository's JSON Schemas (schemas/*.schema.json):
 * the subset they use (type and type lists, enum, const, properties, required, items,
 * additionalProperties, minLength/maxLength, minimum/maximum, $ref within and across files).
 * Strings come from a pool that mixes the values the rules care about (the default-class
 * annotation, "True", selector operators, names at and over 253 characters) with random and
 * unicode text, so that generated objects reach every branch of the rules, not only the
 * "not a name" one.
 */
import fc from 'fast-check';
import { loadSchemas } from '../../../src/schemas.ts';

export interface JsonSchema {
  readonly $ref?: string;
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly additionalProperties?: boolean | JsonSchema;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

/** Values the rules branch on, and names just inside and just outside the limits. */
export const INTERESTING_STRINGS: readonly string[] = [
  '',
  'a',
  'db-snap',
  'db-data',
  'pre-made',
  'csi-hostpath-snapclass',
  'hostpath.csi.k8s.io',
  'other.csi.example.com',
  'default',
  'kube-system',
  'true',
  'True',
  'yes',
  '1',
  'false',
  'In',
  'NotIn',
  'Exists',
  'DoesNotExist',
  'Block',
  'Filesystem',
  'Delete',
  'Retain',
  'snapshot.storage.kubernetes.io/is-default-class',
  'groupsnapshot.storage.kubernetes.io/is-default-class',
  'app',
  'app.kubernetes.io/name',
  'UPPER',
  '-leading-dash',
  'a'.repeat(63),
  'a'.repeat(64),
  'a'.repeat(253),
  'a'.repeat(254),
  'ünïcødé',
  '\u0000',
  '\ud800',
  '😀',
  'x/y/z',
  '..',
];

export const stringValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...INTERESTING_STRINGS) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
);

/** Keys of maps and of fields the schema does not name. */
export const keyValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INTERESTING_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
);

/** Any JSON, small: what goes where the schema says nothing. */
export const smallJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

const ABSENT = Symbol('absent');

interface Located {
  readonly schema: JsonSchema;
  /** The file the schema came from, for relative $refs. */
  readonly file: string;
}

/** Follows a $ref such as `#/definitions/x`, `object-meta.schema.json` or `definitions.schema.json#/definitions/x`. */
function resolve(ref: string, file: string): Located {
  const [target = '', pointer = ''] = ref.split('#', 2);
  const targetFile = target === '' ? file : target;
  let node: unknown = loadSchemas().schema(targetFile);
  for (const step of pointer.split('/').filter((part) => part !== '')) {
    node = (node as Record<string, unknown>)[step];
  }
  if (typeof node !== 'object' || node === null) throw new Error(`cannot resolve $ref ${ref} from ${file}`);
  return { schema: node, file: targetFile };
}

/** The arbitrary of a schema given by id and optional JSON pointer, e.g. `admission-review.schema.json#/properties/request`. */
export function schemaArbitrary(ref: string): fc.Arbitrary<unknown> {
  const located = resolve(ref.includes('#') ? ref : `${ref}#`, ref.split('#')[0] ?? ref);
  return arbitraryOf(located);
}

function arbitraryOf(located: Located): fc.Arbitrary<unknown> {
  const { schema, file } = located;
  if (schema.$ref !== undefined) return arbitraryOf(resolve(schema.$ref, file));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  const types = schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : schema.type;
  if (types.length === 0) return smallJson;
  // A nullable field is mostly set: the rules have more to say about a value than about null.
  const choices = types.map((type) => ({ weight: type === 'null' ? 1 : 3, arbitrary: arbitraryOfType(type, located) }));
  return choices.length === 1 ? (choices[0]?.arbitrary as fc.Arbitrary<unknown>) : fc.oneof(...choices);
}

type Builder = (located: Located) => fc.Arbitrary<unknown>;

const BUILDERS: Readonly<Record<string, Builder>> = {
  object: (located) => objectArbitrary(located),
  array: ({ schema, file }) =>
    fc.array(schema.items === undefined ? smallJson : arbitraryOf({ schema: schema.items, file }), { maxLength: 4 }),
  string: ({ schema }) => stringValue.map((text) => fitLength(text, schema)),
  integer: ({ schema }) => fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 }),
  number: ({ schema }) => fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true }),
  boolean: () => fc.boolean(),
  null: () => fc.constant(null),
};

function arbitraryOfType(type: string, located: Located): fc.Arbitrary<unknown> {
  const builder = BUILDERS[type];
  if (builder === undefined) throw new Error(`schema type ${type} is not supported by the generator`);
  return builder(located);
}

function fitLength(text: string, schema: JsonSchema): string {
  const padded = text.length < (schema.minLength ?? 0) ? text.padEnd(schema.minLength ?? 0, 'x') : text;
  return schema.maxLength === undefined ? padded : padded.slice(0, schema.maxLength);
}

function objectArbitrary(located: Located): fc.Arbitrary<Record<string, unknown>> {
  const { schema, file } = located;
  const required = new Set(schema.required ?? []);
  // Optional fields are there five times in six: both of two exclusive fields must happen too.
  const named = Object.entries(schema.properties ?? {}).map(([key, property]) => {
    const value = arbitraryOf({ schema: property, file });
    return [key, required.has(key) ? value : fc.option(value, { freq: 6, nil: ABSENT })] as const;
  });
  const known = fc
    .record(Object.fromEntries(named))
    .map((fields) => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ABSENT)));
  const additional = schema.additionalProperties;
  if (additional === false) return known;
  const extraValue = typeof additional === 'object' ? arbitraryOf({ schema: additional, file }) : smallJson;
  // A map (no named properties) is all extras; an object with named ones gets a few sometimes.
  const extras = fc.dictionary(keyValue, extraValue, { maxKeys: named.length === 0 ? 4 : 2 });
  const maybeExtras = named.length === 0 ? extras : fc.option(extras, { freq: 4, nil: {} });
  return fc.tuple(maybeExtras, known).map(([extra, fields]) => {
    const merged: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(extra)) defineField(merged, key, value);
    for (const [key, value] of Object.entries(fields)) defineField(merged, key, value);
    return merged;
  });
}

/** Sets a field as JSON.parse would, even one called `__proto__` (assignment would set the prototype). */
export function defineField(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
