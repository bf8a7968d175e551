import { WebhookError } from '../errors.ts';

/**
 * A review nests about 10 levels (managedFields included). Far deeper JSON is no review, and the
 * rules and JSON.stringify recurse: at a few thousand levels they overflow the stack (found by
 * the fuzzer: a 500 instead of an answer). The walk stops at the limit, so it recurses at most
 * MAX_REVIEW_DEPTH + 1 levels itself.
 */
export const MAX_REVIEW_DEPTH = 100;

/** The body as parsed, or a 400 when it nests deeper than any review. */
export function shallowEnough(body: unknown): unknown {
  if (typeof body === 'object' && body !== null && nestsDeeper(body, 1)) {
    throw new WebhookError('BODY_NOT_REVIEW', `body: nests deeper than ${MAX_REVIEW_DEPTH} levels (a review nests about 10)`);
  }
  return body;
}

/**
 * Whether anything in value (itself at depth) lies deeper than MAX_REVIEW_DEPTH. Recursion with
 * for-in and an index loop: no array allocated per object, as Object.values would (it runs on
 * every review; docs/benchmarks.md has the figures). The body comes from JSON.parse: plain objects
 * (an own "__proto__" key included, read as the own property it is) and arrays, nothing inherited.
 */
function nestsDeeper(value: object, depth: number): boolean {
  if (depth > MAX_REVIEW_DEPTH) return true;
  if (Array.isArray(value)) {
    const items = value as unknown[];
    for (let index = 0; index < items.length; index++) {
      if (isDeeperChild(items[index], depth)) return true;
    }
    return false;
  }
  for (const key in value) {
    if (isDeeperChild((value as Record<string, unknown>)[key], depth)) return true;
  }
  return false;
}

function isDeeperChild(child: unknown, parentDepth: number): boolean {
  return typeof child === 'object' && child !== null && nestsDeeper(child, parentDepth + 1);
}
