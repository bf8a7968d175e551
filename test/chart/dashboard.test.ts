/**
 * The Grafana dashboard ConfigMap: valid JSON with the panels the issue lists, and every query
 * reads a metric the webhook's registry exports, with labels it has, scoped to the dashboard's
 * job and namespace variables.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE } from './chart.ts';
import type { K8sObject } from './k8s-types.ts';
import { exportedMetrics, selectors, type Exported } from './promql.ts';
import { renderMatrix } from './render-matrix.ts';

interface ConfigMap extends K8sObject {
  readonly data: Record<string, string>;
}

interface Panel {
  readonly title: string;
  readonly type: string;
  readonly targets: { readonly expr: string }[];
}

/** Labels a ServiceMonitor target carries, whatever the metric. */
const TARGET_LABELS = new Set(['job', 'namespace', 'pod', 'instance', 'service', 'container', 'endpoint']);

/** The labels of `by (...)` lists, but for the histogram's and the targets' own. */
function groupedBy(expr: string): string[] {
  const labels = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((match) => (match[1] ?? '').split(',').map((label) => label.trim()));
  return labels.filter((label) => label !== 'le' && !TARGET_LABELS.has(label));
}

describe('the Grafana dashboard (grafanaDashboard)', () => {
  const get = renderMatrix({
    defaults: {},
    enabled: { grafanaDashboard: { enabled: true } },
    elsewhere: {
      grafanaDashboard: {
        enabled: true,
        namespace: 'monitoring',
        labels: { dashboards: 'storage' },
        annotations: { grafana_folder: 'Storage' },
      },
    },
  });
  let exported: Exported;
  beforeAll(async () => {
    exported = await exportedMetrics();
  });

  const dashboard = (name: string) => {
    const configMap = get(name).one<ConfigMap>('ConfigMap');
    return JSON.parse(configMap.data['snapshot-webhook.json'] ?? '') as {
      uid: string;
      panels: Panel[];
      templating: { list: { name: string }[] };
    };
  };

  it('is not rendered by default; when enabled, carries the sidecar label in the chosen namespace', () => {
    expect(get('defaults').all('ConfigMap')).toEqual([]);
    expect(get('enabled').one<ConfigMap>('ConfigMap').metadata).toMatchObject({ namespace: NAMESPACE, labels: { grafana_dashboard: '1' } });
    expect(get('elsewhere').one<ConfigMap>('ConfigMap').metadata).toMatchObject({
      namespace: 'monitoring',
      labels: { dashboards: 'storage' },
      annotations: { grafana_folder: 'Storage' },
    });
  });

  it('has the panels operators need', () => {
    const titles = dashboard('enabled').panels.map((panel) => panel.title);
    for (const wanted of [
      'Reviews by kind and decision',
      'Denials by rule',
      'Decision time',
      'Class cache state',
      'Drivers with several default classes',
      'Certificate expires in',
      'Client connections closed, by reason',
    ]) {
      expect(titles).toContain(wanted);
    }
    expect(dashboard('enabled').templating.list.map((variable) => variable.name)).toEqual(['datasource', 'namespace', 'job']);
  });

  it('queries only metrics the webhook exports, with their labels, scoped to the selected job and namespace', () => {
    const queries = dashboard('enabled').panels.flatMap((panel) =>
      panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })),
    );
    expect(queries.length).toBeGreaterThanOrEqual(12);
    for (const { panel, expr } of queries) {
      const found = selectors(expr);
      expect(found.length, panel).toBeGreaterThan(0);
      for (const { metric, matchers } of found) {
        const labels = exported.get(metric.replace(/_bucket$/, ''));
        expect(labels, `${panel}: ${metric}`).toBeDefined();
        expect(matchers, panel).toEqual(
          expect.arrayContaining([
            { label: 'job', op: '=', value: '$job' },
            { label: 'namespace', op: '=', value: '$namespace' },
          ]),
        );
        for (const grouped of groupedBy(expr)) expect([...(labels?.keys() ?? [])], `${panel}: ${metric} by ${grouped}`).toContain(grouped);
      }
    }
  });
});
