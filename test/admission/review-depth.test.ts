import { describe, expect, it } from 'vitest';
import { MAX_REVIEW_DEPTH, shallowEnough } from '../../src/admission/review-depth.ts';
import { WebhookError } from '../../src/errors.ts';

function nested(depth: number, asArrays: boolean): unknown {
  let value: unknown = 'leaf';
  for (let level = 1; level < depth; level += 1) value = asArrays ? [value] : { child: value };
  return value;
}

describe('shallowEnough', () => {
  it('passes what nests up to the limit and refuses one level more, objects and arrays alike', () => {
    for (const asArrays of [false, true]) {
      const atLimit = nested(MAX_REVIEW_DEPTH + 1, asArrays);
      expect(shallowEnough(atLimit)).toBe(atLimit);
      expect(() => shallowEnough(nested(MAX_REVIEW_DEPTH + 2, asArrays))).toThrow(WebhookError);
    }
  });

  it('passes scalars and reads an own "__proto__" key as data', () => {
    for (const scalar of ['x', 1, null, true]) expect(shallowEnough(scalar)).toBe(scalar);
    const parsed = JSON.parse(`{"__proto__": ${JSON.stringify(nested(MAX_REVIEW_DEPTH + 2, false))}}`) as unknown;
    expect(() => shallowEnough(parsed)).toThrow(/nests deeper than 100 levels/);
  });
});
