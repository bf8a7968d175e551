import { ApiError } from './fake-api-store.ts';
import type { JsonObject } from './fake-api-store.ts';

/** RFC 7386 JSON merge patch (application/merge-patch+json): null deletes, objects merge. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) {
    return patch;
  }
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      result[key] = mergePatch(result[key], value);
    }
  }
  return result;
}

interface Operation {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
  readonly value?: unknown;
}

/** RFC 6902 JSON patch (application/json-patch+json): add, remove, replace, test, move, copy. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) {
    throw new ApiError(400, 'BadRequest', 'json patch must be an array of operations');
  }
  let document: unknown = structuredClone(target);
  for (const operation of operations as Operation[]) {
    document = apply(document, operation);
  }
  return document;
}

function apply(document: unknown, operation: Operation): unknown {
  switch (operation.op) {
    case 'add':
      return add(document, operation.path, operation.value);
    case 'remove':
      return remove(document, operation.path);
    case 'replace':
      return add(remove(document, operation.path), operation.path, operation.value);
    case 'test':
      return test(document, operation);
    case 'move':
    case 'copy':
      return moveOrCopy(document, operation);
    default:
      throw new ApiError(400, 'BadRequest', `unknown json patch operation ${operation.op}`);
  }
}

function test(document: unknown, operation: Operation): unknown {
  if (JSON.stringify(read(document, operation.path)) !== JSON.stringify(operation.value)) {
    throw new ApiError(422, 'Invalid', `json patch test failed at ${operation.path}`);
  }
  return document;
}

function moveOrCopy(document: unknown, operation: Operation): unknown {
  const from = operation.from ?? '';
  const value = structuredClone(read(document, from));
  return add(operation.op === 'move' ? remove(document, from) : document, operation.path, value);
}

function tokens(pointer: string): string[] {
  if (pointer === '') {
    return [];
  }
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function read(document: unknown, pointer: string): unknown {
  let node = document;
  for (const token of tokens(pointer)) {
    node = child(node, token, pointer);
  }
  return node;
}

function child(node: unknown, token: string, pointer: string): unknown {
  if (!isObject(node) && !Array.isArray(node)) {
    throw new ApiError(422, 'Invalid', `json patch path ${pointer} does not exist`);
  }
  const value = (node as Record<string, unknown>)[token];
  if (value === undefined) {
    throw new ApiError(422, 'Invalid', `json patch path ${pointer} does not exist`);
  }
  return value;
}

function parentOf(document: unknown, pointer: string): { parent: unknown; last: string } {
  const all = tokens(pointer);
  const last = all.pop();
  if (last === undefined) {
    throw new ApiError(422, 'Invalid', 'json patch cannot change the whole document');
  }
  return { parent: read(document, all.length === 0 ? '' : `/${all.join('/')}`), last };
}

function add(document: unknown, pointer: string, value: unknown): unknown {
  if (pointer === '') {
    return value;
  }
  const { parent, last } = parentOf(document, pointer);
  if (Array.isArray(parent)) {
    parent.splice(last === '-' ? parent.length : Number(last), 0, value);
  } else if (isObject(parent)) {
    parent[last] = value;
  } else {
    throw new ApiError(422, 'Invalid', `json patch path ${pointer} has no parent object`);
  }
  return document;
}

function remove(document: unknown, pointer: string): unknown {
  const { parent, last } = parentOf(document, pointer);
  read(document, pointer); // 422 when absent, as the API server answers
  if (Array.isArray(parent)) {
    parent.splice(Number(last), 1);
  } else if (isObject(parent)) {
    delete parent[last];
  }
  return document;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
