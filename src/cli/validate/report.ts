import { stringAt } from '../../rules/object-access.ts';
import { findingError, findingWarning } from '../findings.ts';
import type { FindingError, FindingWarning } from '../findings.ts';
import type { ManifestFile, NonObject } from './manifests.ts';
import type { CheckedObject, CheckResult } from './check.ts';

/**
 * What `validate` prints: a line per problem, as kubectl prints field errors, prefixed with where
 * the object is; or, with --output json, this report (schemas/validate-report.schema.json).
 */
export interface ValidateReport {
  readonly files: readonly { readonly path: string; readonly documents: number }[];
  readonly objects: readonly ReportObject[];
  /** Documents and List items that are no object at all: each is an error (kubectl would not apply the file). */
  readonly nonObjects: readonly ReportNonObject[];
  readonly summary: ReportSummary;
}

export interface ReportNonObject {
  readonly file: string;
  readonly document: number;
  readonly item: number | null;
  readonly line: number;
  /** `not a Kubernetes object (a string)` */
  readonly message: string;
}

export interface ReportObject {
  readonly file: string;
  readonly document: number;
  readonly item: number | null;
  readonly line: number;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string | null;
  readonly generateName: string | null;
  readonly operation: 'CREATE' | 'UPDATE';
  readonly errors: readonly ReportError[];
  readonly warnings: readonly ReportWarning[];
}

export interface ReportError extends FindingError {
  /** The line of the field, or of its nearest ancestor in the file. */
  readonly line: number;
}

export type ReportWarning = FindingWarning;

export interface ReportSummary {
  readonly objects: number;
  readonly snapshotObjects: number;
  readonly ignored: number;
  readonly errors: number;
  readonly warnings: number;
}

export function buildReport(files: readonly ManifestFile[], result: CheckResult): ValidateReport {
  const objects = result.checked.map(reportObject);
  const nonObjects = files.flatMap((file) => file.nonObjects.map(reportNonObject));
  return {
    files: files.map((file) => ({ path: file.file, documents: file.documents })),
    objects,
    nonObjects,
    summary: {
      objects: objects.length + result.ignored,
      snapshotObjects: objects.length,
      ignored: result.ignored,
      errors: nonObjects.length + objects.reduce((sum, object) => sum + object.errors.length, 0),
      warnings: objects.reduce((sum, object) => sum + object.warnings.length, 0),
    },
  };
}

function reportNonObject({ found, ...where }: NonObject): ReportNonObject {
  return { ...where, message: `not a Kubernetes object (${found})` };
}

function reportObject(checked: CheckedObject): ReportObject {
  const { manifest } = checked;
  const object = manifest.object;
  return {
    file: manifest.file,
    document: manifest.document,
    item: manifest.item,
    line: manifest.line,
    apiVersion: stringAt(object, 'apiVersion') ?? '',
    kind: checked.family.kind,
    namespace: stringAt(object, 'metadata.namespace') ?? null,
    name: stringAt(object, 'metadata.name') ?? null,
    generateName: stringAt(object, 'metadata.generateName') ?? null,
    operation: checked.operation,
    // In the order of the file, so that the lines read top to bottom; ties keep the rules' order.
    errors: checked.violations
      .map((violation) => ({ ...findingError(violation), line: manifest.lineOf(violation.field) }))
      .sort((left, right) => left.line - right.line),
    warnings: checked.warnings.map(findingWarning),
  };
}

/**
 * `snap.yaml:12 VolumeSnapshot default/db-snap: spec.source: Invalid value: …`; in a file of
 * several documents `snap.yaml:12 (document 2) …`; warnings `…: warning: <text>`; a document
 * that is no object `odd.yaml:3 (document 2): not a Kubernetes object (a string)`; then a summary.
 */
export function reportText(report: ValidateReport): string {
  const multiDocument = new Set(report.files.filter((file) => file.documents > 1).map((file) => file.path));
  const documentOf = (place: Place): string => (multiDocument.has(place.file) ? ` (document ${place.document})` : '');
  const paragraphs: Paragraph[] = [
    ...report.objects.map((object) => ({ place: object, lines: objectLines(object, documentOf(object)) })),
    ...report.nonObjects.map((nonObject) => ({ place: nonObject, lines: [nonObjectLine(nonObject, documentOf(nonObject))] })),
  ];
  const lines = inFileOrder(paragraphs, report.files).flatMap((paragraph) => paragraph.lines);
  return [...lines, summaryText(report.summary)].map((line) => `${line}\n`).join('');
}

type Place = Pick<ReportObject, 'file' | 'document' | 'item'>;

/** The lines of one object or non-object, kept together. */
interface Paragraph {
  readonly place: Place;
  readonly lines: readonly string[];
}

function objectLines(object: ReportObject, document: string): string[] {
  const where = (line: number): string => `${object.file}:${line}${document} ${object.kind} ${displayName(object)}`;
  return [
    // field + cause message is fieldErrorText(violation): the line kubectl prints for a field error.
    ...object.errors.map((error) => `${where(error.line)}: ${error.field}: ${error.message}`),
    ...object.warnings.map((warning) => `${where(object.line)}: warning: ${warning.message}`),
  ];
}

function nonObjectLine(nonObject: ReportNonObject, document: string): string {
  const item = nonObject.item === null ? '' : ` items[${nonObject.item}]`;
  return `${nonObject.file}:${nonObject.line}${document}${item}: ${nonObject.message}`;
}

/** Objects and non-objects come in two lists, each in the order of the files: the report reads top to bottom. */
function inFileOrder(paragraphs: readonly Paragraph[], files: ValidateReport['files']): Paragraph[] {
  const fileIndex = new Map<string, number>();
  files.forEach((file, index) => {
    if (!fileIndex.has(file.path)) fileIndex.set(file.path, index);
  });
  const key = ({ file, document, item }: Place): readonly number[] => [fileIndex.get(file) ?? 0, document, item ?? -1];
  // sort is stable: places that tie (a file named twice) keep the order they were read in.
  return [...paragraphs].sort((left, right) => compareKeys(key(left.place), key(right.place)));
}

function compareKeys(left: readonly number[], right: readonly number[]): number {
  const index = left.findIndex((value, at) => value !== right[at]);
  return index < 0 ? 0 : (left[index] ?? 0) - (right[index] ?? 0);
}

function displayName(object: ReportObject): string {
  const name = object.name ?? (object.generateName === null ? '<unnamed>' : `${object.generateName}*`);
  return object.namespace === null ? name : `${object.namespace}/${name}`;
}

function summaryText(summary: ReportSummary): string {
  return (
    `${count(summary.objects, 'object')} checked ` +
    `(${count(summary.snapshotObjects, 'snapshot object')}, ${count(summary.ignored, 'other kind')} ignored): ` +
    `${count(summary.errors, 'error')}, ${count(summary.warnings, 'warning')}`
  );
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
