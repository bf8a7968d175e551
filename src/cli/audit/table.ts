import type { AuditObject } from './findings.ts';
import type { AuditReport, AuditSummary } from './report.ts';

/**
 * The report for a person at a terminal, in kubectl's table style: columns padded to their
 * widest cell, the long message last so that nothing after it is pushed off the screen.
 */
export function reportTable(report: AuditReport): string {
  const sections = [
    [`Audit of ${report.server}`],
    [...resourceTable(report), ...report.notes.map((note) => `note: ${note}`)],
    objectTable(report.objects),
    duplicateTable(report),
    [summaryText(report.summary, report.resources.length - report.summary.skippedResources)],
  ];
  return `${sections
    .filter((lines) => lines.length > 0)
    .map((lines) => lines.join('\n'))
    .join('\n\n')}\n`;
}

function resourceTable(report: AuditReport): string[] {
  return table(
    ['RESOURCE', 'VERSION', 'OBJECTS'],
    report.resources.map((resource) => [
      resource.group === '' ? resource.resource : `${resource.resource}.${resource.group}`,
      resource.version ?? '-',
      resource.version === null ? 'skipped' : String(resource.objects),
    ]),
  );
}

function objectTable(objects: readonly AuditObject[]): string[] {
  const rows = objects.flatMap((object) => {
    const name = object.namespace === null ? object.name : `${object.namespace}/${object.name}`;
    return [
      ...object.errors.map((error) => [object.kind, name, 'error', error.field, error.message]),
      ...object.warnings.map((warning) => [object.kind, name, 'warning', '-', warning.message]),
    ];
  });
  return rows.length === 0 ? [] : table(['KIND', 'NAME', 'SEVERITY', 'FIELD', 'MESSAGE'], rows);
}

function duplicateTable(report: AuditReport): string[] {
  if (report.duplicateDefaults.length === 0) return [];
  return table(
    ['KIND', 'DRIVER', 'DEFAULT CLASSES', 'MESSAGE'],
    report.duplicateDefaults.map((duplicate) => [duplicate.kind, duplicate.driver, duplicate.classes.join(','), duplicate.message]),
  );
}

function summaryText(summary: AuditSummary, listedResources: number): string {
  const skipped = summary.skippedResources === 0 ? '' : ` (${summary.skippedResources} skipped)`;
  return (
    `${count(summary.errors, 'error')} in ${count(summary.invalidObjects, 'object')}, ` +
    `${count(summary.duplicateDefaults, 'driver')} with more than one default class, ` +
    `${count(summary.warnings, 'warning')}; ` +
    `${count(summary.objects, 'object')} checked in ${count(listedResources, 'resource')}${skipped}`
  );
}

/** Rows under a header, each column as wide as its widest cell plus two spaces; the last not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd((widths[column] ?? 0) + 2)))
      .join('')
      .trimEnd(),
  );
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
