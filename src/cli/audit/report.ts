import type { AuditObject, DuplicateDefaults } from './findings.ts';
import type { AuditedResource, ClusterScan } from './scan.ts';

/** What `audit --output json` prints (schemas/audit-report.schema.json). */
export interface AuditReport {
  /** The API server audited. */
  readonly server: string;
  /** The six kinds, in a fixed order, each with the version listed (null: skipped) and how many objects. */
  readonly resources: readonly AuditedResource[];
  /** What was skipped and why. */
  readonly notes: readonly string[];
  /** Objects with at least one error or warning; clean objects are only counted. */
  readonly objects: readonly AuditObject[];
  readonly duplicateDefaults: readonly DuplicateDefaults[];
  readonly summary: AuditSummary;
}

export interface AuditSummary {
  /** Objects listed, all kinds. */
  readonly objects: number;
  readonly invalidObjects: number;
  readonly errors: number;
  readonly warnings: number;
  /** Drivers with more than one default class, both class kinds counted. */
  readonly duplicateDefaults: number;
  readonly skippedResources: number;
}

export function buildAuditReport(server: string, scan: ClusterScan): AuditReport {
  return {
    server,
    resources: scan.resources,
    notes: scan.notes,
    objects: scan.objects,
    duplicateDefaults: scan.duplicateDefaults,
    summary: {
      objects: sum(scan.resources.map((resource) => resource.objects)),
      invalidObjects: scan.objects.filter((object) => object.errors.length > 0).length,
      errors: sum(scan.objects.map((object) => object.errors.length)),
      warnings: sum(scan.objects.map((object) => object.warnings.length)),
      duplicateDefaults: scan.duplicateDefaults.length,
      skippedResources: scan.resources.filter((resource) => resource.version === null).length,
    },
  };
}

/** Warnings do not count: they are advice, and an audit that always fails stops being read. */
export function foundProblems(report: AuditReport): boolean {
  return report.summary.errors > 0 || report.summary.duplicateDefaults > 0;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
