/**
 * AdmissionReviews generated from schemas/admission-review.schema.json, with the object and
 * oldObject generated from the schema of the resource under review, so that most reviews reach
 * the rules; a few name resources the webhook does not know.
 */
import fc from 'fast-check';
import { handledResources, familyFor, type GroupVersionResource } from '../../../src/rules/table.ts';
import { valueMutation, type ValueMutation } from './mutations.ts';
import { defineField, schemaArbitrary } from './schema-arbitrary.ts';

export interface GeneratedReview {
  apiVersion: unknown;
  kind: unknown;
  request: Record<string, unknown>;
}

const HANDLED = handledResources();

const resourceArbitrary: fc.Arbitrary<GroupVersionResource> = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...HANDLED) },
  {
    weight: 1,
    arbitrary: schemaArbitrary('admission-review.schema.json#/definitions/groupVersionResource') as fc.Arbitrary<GroupVersionResource>,
  },
);

const operationArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('CREATE', 'UPDATE') },
  { weight: 1, arbitrary: fc.constantFrom('DELETE', 'CONNECT') },
);

/** A generated object of the resource's schema, or any object for a resource the webhook does not know. */
function objectArbitrary(resource: GroupVersionResource): fc.Arbitrary<unknown> {
  const family = familyFor(resource);
  return family === undefined ? fc.object({ maxDepth: 2 }) : schemaArbitrary(family.schemaId);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Some fields of `object` (at the top and in spec) taken from `other`: an edit that keeps to the schema. */
function graft(object: unknown, other: unknown, picks: readonly boolean[]): unknown {
  if (!isObject(object) || !isObject(other)) return structuredClone(other);
  const result: Record<string, unknown> = structuredClone(object);
  const spec = isObject(result.spec) && isObject(other.spec) ? result.spec : undefined;
  const keys = [...new Set([...Object.keys(other), ...Object.keys(isObject(other.spec) ? other.spec : {})])];
  keys.forEach((key, index) => {
    if (picks[index % Math.max(1, picks.length)] !== true) return;
    if (spec !== undefined && Object.hasOwn(other.spec as object, key))
      defineField(spec, key, structuredClone((other.spec as Record<string, unknown>)[key]));
    else if (Object.hasOwn(other, key)) defineField(result, key, structuredClone(other[key]));
  });
  return result;
}

/** The old object of an UPDATE: the same object, an edit of it, another object, or none. */
export function oldObjectArbitrary(object: unknown, resource: GroupVersionResource): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(structuredClone(object)) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(objectArbitrary(resource), fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }))
        .map(([other, picks]) => graft(object, other, picks)),
    },
    { weight: 2, arbitrary: objectArbitrary(resource) },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

function requestFor(resource: GroupVersionResource): fc.Arbitrary<Record<string, unknown>> {
  const kind = familyFor(resource)?.kind ?? 'Unknown';
  return fc
    .record({
      base: schemaArbitrary('admission-review.schema.json#/properties/request') as fc.Arbitrary<Record<string, unknown>>,
      operation: operationArbitrary,
      object: objectArbitrary(resource),
    })
    .chain(({ base, operation, object }) =>
      oldObjectArbitrary(object, resource).map((oldObject) => ({
        ...base,
        kind: { group: resource.group, version: resource.version, kind },
        resource,
        operation,
        object,
        ...(operation === 'UPDATE' ? { oldObject } : {}),
      })),
    );
}

export const reviewArbitrary: fc.Arbitrary<GeneratedReview> = fc.record({
  apiVersion: fc.constantFrom('admission.k8s.io/v1', 'admission.k8s.io/v1beta1'),
  kind: fc.constant('AdmissionReview'),
  request: resourceArbitrary.chain(requestFor),
});

/** A review and one to four mutations to make anywhere in it (its envelope included): apply with mutate(). */
export const mutatedReviewArbitrary: fc.Arbitrary<[GeneratedReview, ValueMutation[]]> = fc.tuple(
  reviewArbitrary,
  fc.array(valueMutation, { minLength: 1, maxLength: 4 }),
);
