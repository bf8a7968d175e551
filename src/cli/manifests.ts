import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node } from 'yaml';
import { isRecord } from '../rules/object-access.ts';
import type { KubeObject } from '../rules/types.ts';

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

export interface ManifestFile {
  readonly file: string;
  readonly documents: number;
  readonly manifests: readonly Manifest[];
  /** Documents and List items that are not objects at all (a scalar, a list): nothing to check. */
  readonly nonObjects: number;
}

/** A file that cannot be read as YAML, with the position of the first error. */
export class ManifestSyntaxError extends Error {
  constructor(file: string, line: number, column: number, message: string) {
    super(`${file}:${line}:${column}: YAML syntax error: ${message}`);
    this.name = 'ManifestSyntaxError';
  }
}

export function parseManifests(file: string, text: string): ManifestFile {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines });
  const manifests: Manifest[] = [];
  let nonObjects = 0;
  documents.forEach((document, index) => {
    throwFirstError(file, document);
    const found = documentObjects(document);
    for (const { object, node, item } of found.objects) {
      manifests.push(manifestOf({ file, document: index + 1, item, object, node }, lines));
    }
    nonObjects += found.nonObjects;
  });
  return { file, documents: documents.length, manifests, nonObjects };
}

function throwFirstError(file: string, document: Document): void {
  const [error] = document.errors;
  if (error === undefined) return;
  const position = error.linePos?.[0] ?? { line: 1, col: 1 };
  // yaml appends " at line L, column C:" and a source excerpt; the position goes in front instead.
  const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  throw new ManifestSyntaxError(file, position.line, position.col, message);
}

interface FoundObject {
  readonly object: KubeObject;
  readonly node: Node;
  readonly item: number | null;
}

interface DocumentObjects {
  readonly objects: readonly FoundObject[];
  readonly nonObjects: number;
}

/** The objects of one document: itself, or the items of a List; empty documents hold none. */
function documentObjects(document: Document): DocumentObjects {
  const value: unknown = document.toJS({ maxAliasCount: 100 });
  const node = document.contents;
  if (value === null || value === undefined || node === null) return { objects: [], nonObjects: 0 };
  if (!isRecord(value)) return { objects: [], nonObjects: 1 };
  if (!isList(value)) return { objects: [{ object: value, node, item: null }], nonObjects: 0 };
  const itemNodes = isMap(node) ? node.get('items', true) : undefined;
  const objects: FoundObject[] = [];
  let nonObjects = 0;
  value.items.forEach((item, index) => {
    if (!isRecord(item)) {
      nonObjects += 1;
      return;
    }
    const itemNode = isSeq(itemNodes) ? itemNodes.items[index] : undefined;
    objects.push({ object: item, node: isNode(itemNode) ? itemNode : node, item: index });
  });
  return { objects, nonObjects };
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
