import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit } from 'yaml';
import type { Alias, Document, Node } from 'yaml';
import { isRecord } from '../../rules/object-access.ts';
import type { KubeObject } from '../../rules/types.ts';
import { WebhookError } from '../../errors.ts';

/**
 * Manifests as kubectl reads them: YAML or JSON, several documents per file, `List` kinds
 * unrolled. Each object keeps where it came from, down to the line of any of its fields, so a
 * problem can be reported where the user has to fix it.
 */
export interface Manifest {
  /** The file as the user named it (or found it under a named directory); `<stdin>` for stdin. */
  readonly file: string;
  /** 1-based position of the document in its file. */
  readonly document: number;
  /** Position in the `items` of a List, or null for a top-level object. */
  readonly item: number | null;
  /** Where the object starts. */
  readonly line: number;
  readonly object: KubeObject;
  /** The line of a field (a rule's path, e.g. `spec.source.volumeHandle`), or of its nearest ancestor in the file. */
  lineOf(field: string): number;
}

/**
 * A document or List item that is valid YAML but no object (a string, a list): kubectl refuses
 * to apply it, so it is a mistake in the manifests, not something to skip.
 */
export interface NonObject {
  readonly file: string;
  readonly document: number;
  readonly item: number | null;
  readonly line: number;
  /** What it is instead, with its article: "a string", "a list". */
  readonly found: string;
}

export interface ManifestFile {
  readonly file: string;
  readonly documents: number;
  readonly manifests: readonly Manifest[];
  readonly nonObjects: readonly NonObject[];
}

/** 1-based, as yaml's LineCounter gives it. */
interface YamlPosition {
  readonly line: number;
  readonly col: number;
}

/** A file that cannot be read as YAML, with the position of the first error. */
export class ManifestSyntaxError extends WebhookError {
  constructor(file: string, position: YamlPosition, message: string, what = 'YAML syntax error') {
    super('MANIFEST_SYNTAX', file, String(position.line), String(position.col), what, message);
    this.name = 'ManifestSyntaxError';
  }
}

/** yaml's bound on alias expansion, against "billion laughs" documents (its default, said here so it is seen). */
const MAX_ALIAS_COUNT = 100;

export function parseManifests(file: string, text: string): ManifestFile {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines });
  const manifests: Manifest[] = [];
  const nonObjects: NonObject[] = [];
  documents.forEach((document, index) => {
    throwFirstError(file, document);
    const found = documentObjects(documentValue(file, document, lines), document.contents);
    for (const { value, node, item } of found.objects) {
      manifests.push(manifestOf({ file, document: index + 1, item, object: value, node }, lines));
    }
    for (const { value, node, item } of found.nonObjects) {
      nonObjects.push({ file, document: index + 1, item, line: lineAt(node, lines), found: describeValue(value) });
    }
  });
  return { file, documents: documents.length, manifests, nonObjects };
}

function throwFirstError(file: string, document: Document): void {
  const [error] = document.errors;
  if (error === undefined) return;
  const position = error.linePos?.[0] ?? { line: 1, col: 1 };
  // yaml appends " at line L, column C:" and a source excerpt; the position goes in front instead.
  const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  throw new ManifestSyntaxError(file, position, message);
}

/**
 * The document as plain data. Alias errors (an alias before its anchor, too many expansions)
 * surface only here, thrown by yaml without a position: the alias being expanded gives it.
 */
function documentValue(file: string, document: Document, lines: LineCounter): unknown {
  const expanding = trackAliasExpansion(document);
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const position = lines.linePos(expanding.at(-1)?.range?.[0] ?? document.contents?.range?.[0] ?? 0);
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new ManifestSyntaxError(file, position, message, 'YAML alias error');
  }
}

/**
 * The aliases being expanded, innermost last. toJS expands an alias by calling its toJSON (the
 * JSON protocol), so wrapping that on each alias of this document, which nothing else holds,
 * shows where an error was thrown: an alias that fails stays on the stack.
 */
function trackAliasExpansion(document: Document): Alias[] {
  const expanding: Alias[] = [];
  visit(document, {
    Alias(_key, alias) {
      const expand = alias.toJSON.bind(alias);
      alias.toJSON = (...args: Parameters<Alias['toJSON']>): unknown => {
        expanding.push(alias);
        const value = expand(...args);
        expanding.pop();
        return value;
      };
    },
  });
  return expanding;
}

interface Found<Value> {
  readonly node: Node;
  readonly item: number | null;
  readonly value: Value;
}

interface DocumentObjects {
  readonly objects: readonly Found<KubeObject>[];
  readonly nonObjects: readonly Found<unknown>[];
}

const NOTHING: DocumentObjects = { objects: [], nonObjects: [] };

/** The objects of one document: itself, or the items of a List; empty documents hold none. */
function documentObjects(value: unknown, node: Node | null): DocumentObjects {
  if (value === null || value === undefined || node === null) return NOTHING;
  if (!isRecord(value)) return { objects: [], nonObjects: [{ value, node, item: null }] };
  if (!isList(value)) return { objects: [{ value, node, item: null }], nonObjects: [] };
  const itemNodes = isMap(node) ? node.get('items', true) : undefined;
  const objects: Found<KubeObject>[] = [];
  const nonObjects: Found<unknown>[] = [];
  value.items.forEach((item, index) => {
    const itemNode = isSeq(itemNodes) ? itemNodes.items[index] : undefined;
    const found = { value: item, node: isNode(itemNode) ? itemNode : node, item: index };
    if (isRecord(item)) objects.push({ ...found, value: item });
    else nonObjects.push(found);
  });
  return { objects, nonObjects };
}

/** "a string", "a list", "null": how a value that should have been an object reads in a message. */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null || value === undefined) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `v1/List`, `VolumeSnapshotList`, …: kubectl applies their items one by one. */
function isList(object: KubeObject): object is KubeObject & { readonly items: readonly unknown[] } {
  return typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items);
}

interface ManifestSource {
  readonly file: string;
  readonly document: number;
  readonly item: number | null;
  readonly object: KubeObject;
  readonly node: Node;
}

function manifestOf(source: ManifestSource, lines: LineCounter): Manifest {
  const { node, ...rest } = source;
  return {
    ...rest,
    line: lineAt(node, lines),
    lineOf: (field) => fieldLine(node, fieldSegments(field), lines),
  };
}

function isNode(value: unknown): value is Node {
  return isMap(value) || isSeq(value) || isScalar(value);
}

function lineAt(node: Node, lines: LineCounter): number {
  return lines.linePos(node.range?.[0] ?? 0).line;
}

/**
 * A rule's field path → its parts: `metadata.annotations[a.b/c]` → metadata, annotations, a.b/c;
 * `spec.matchExpressions[0].values` → spec, matchExpressions, 0, values.
 */
export function fieldSegments(field: string): string[] {
  return [...field.matchAll(/\[([^\]]*)\]|([^.[\]]+)/g)].map((match) => match[1] ?? match[2] ?? '');
}

/** The line of the deepest node along the path: the key's line for a map entry, the item's for a list. */
function fieldLine(root: Node, segments: readonly string[], lines: LineCounter): number {
  let node: unknown = root;
  let line = lineAt(root, lines);
  for (const segment of segments) {
    const child = childOf(node, segment);
    if (child === undefined) break;
    line = lines.linePos(child.start).line;
    node = child.value;
  }
  return line;
}

interface Child {
  /** Where the child starts: its key in a map, itself in a list. */
  readonly start: number;
  readonly value: unknown;
}

function childOf(node: unknown, segment: string): Child | undefined {
  if (isMap(node)) {
    const pair = node.items.find((entry) => isScalar(entry.key) && String(entry.key.value) === segment);
    return childAt(pair?.key, pair?.value);
  }
  if (isSeq(node) && /^\d+$/.test(segment)) {
    const item = node.items[Number(segment)];
    return childAt(item, item);
  }
  return undefined;
}

function childAt(start: unknown, value: unknown): Child | undefined {
  const offset = isNode(start) ? start.range?.[0] : undefined;
  return offset === undefined ? undefined : { start: offset, value };
}
