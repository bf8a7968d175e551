/** The webhook's metrics as its own registry exports them, and the selectors of a PromQL expression: for the alerts and the dashboard. */
import type { CacheStatus } from '../../src/cluster/class-cache.ts';
import { ERRORS } from '../../src/errors.ts';
import { OVER_CAPACITY } from '../../src/lifecycle/connection-cap.ts';
import { SESSION_CLOSE_REASONS } from '../../src/lifecycle/http2-guard.ts';
import { createMetrics } from '../../src/observability/metrics.ts';

/** What the webhook's registry exports: metric name -> label name -> values seen. */
export type Exported = Map<string, Map<string, Set<string>>>;

/** The real registry, with every labelled series present (as on a server with a cluster). */
export async function exportedMetrics(): Promise<Exported> {
  const metrics = createMetrics();
  const status: CacheStatus = { state: 'synced', size: 2, lastSyncTime: new Date(), watchConnected: true, duplicateDefaults: 0 };
  metrics.watchCaches(() => ({ snapshotClasses: status, groupSnapshotClasses: { ...status, state: 'absent', watchConnected: false } }));
  metrics.badRequests.inc({ code: ERRORS.INTERNAL.code });
  metrics.reviews.inc({ group: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', operation: 'CREATE', decision: 'allowed' });
  metrics.warnings.inc({ rule: 'example' });
  metrics.violations.inc({ rule: 'example' });
  metrics.lookups.inc({ resource: 'persistentvolumeclaims', outcome: 'found' });
  metrics.certificateExpiry.set(Date.now() / 1000);
  for (const reason of [...SESSION_CLOSE_REASONS, OVER_CAPACITY]) metrics.connectionsClosed.inc({ reason });
  const exported: Exported = new Map();
  for (const metric of await metrics.registry.getMetricsAsJSON()) exported.set(metric.name, labelValues(metric.values));
  return exported;
}

/** Label name -> the values seen, over a metric's series. */
function labelValues(series: readonly { readonly labels: Record<string, string | number | undefined> }[]): Map<string, Set<string>> {
  const labels = new Map<string, Set<string>>();
  for (const [name, value] of series.flatMap((one) => Object.entries(one.labels))) {
    const seen = labels.get(name) ?? new Set<string>();
    seen.add(String(value));
    labels.set(name, seen);
  }
  return labels;
}

export interface Selector {
  readonly metric: string;
  readonly matchers: { readonly label: string; readonly op: string; readonly value: string }[];
}

/** Every `metric{...}` in an expression. */
export function selectors(expr: string): Selector[] {
  return [...expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g)].map((match) => ({
    metric: match[1] ?? '',
    matchers: [...(match[2] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((m) => ({
      label: m[1] ?? '',
      op: m[2] ?? '',
      value: m[3] ?? '',
    })),
  }));
}
