/**
 * The optional PrometheusRule: off by default, and every alert reads metrics and labels the
 * webhook really exports (its own registry, filled the way the server fills it), scoped to the
 * series of the chart's ServiceMonitor.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ERRORS } from '../../src/errors.ts';
import { CHART_DIR, EXISTING_SECRET_VALUES, FULLNAME, NAMESPACE, helmTemplate, selects, type Values } from './chart.ts';
import { renderMatrix } from './render-matrix.ts';
import type { AlertingRule, PrometheusRule, ServiceMonitor } from './k8s-types.ts';
import { exportedMetrics, selectors, type Exported, type Selector } from './promql.ts';

const README = new URL('../../README.md', import.meta.url);
const CHART_README = join(CHART_DIR, 'README.md');

/** Labels prometheus-operator gives every series scraped through a ServiceMonitor. */
const TARGET_LABELS = ['job', 'namespace', 'service', 'pod', 'container', 'endpoint', 'instance'];
/** Series Prometheus makes itself for each target. */
const SYNTHETIC_METRICS = ['up'];
/** PromQL functions, aggregations and keywords the rules may use. */
const PROMQL_WORDS = new Set([
  'absent',
  'max',
  'min',
  'sum',
  'count',
  'increase',
  'rate',
  'time',
  'and',
  'or',
  'unless',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'bool',
]);

const ENABLED: Values = { metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } } };

/**
 * One selector of an alert: scoped to this release's ServiceMonitor targets (job is the Service
 * name, as the ServiceMonitor sets no jobLabel; namespace the release's), and every other
 * matcher names a label the metric has, with a value it takes.
 */
function checkSelector(alert: string, { metric, matchers }: Selector, exported: Exported): void {
  const where = `${alert}: ${metric}`;
  expect(matchers, where).toEqual(
    expect.arrayContaining([
      { label: 'job', op: '=', value: FULLNAME },
      { label: 'namespace', op: '=', value: NAMESPACE },
    ]),
  );
  const labels = SYNTHETIC_METRICS.includes(metric) ? new Map<string, Set<string>>() : exported.get(metric);
  for (const { label, op, value } of matchers.filter((matcher) => !TARGET_LABELS.includes(matcher.label))) {
    expect([...(labels?.keys() ?? [])], where).toContain(label);
    for (const wanted of literalValues(op, value)) expect(valuesOf(label, labels), `${where} ${label}`).toContain(wanted);
  }
}

/** The values a matcher names: one for `=`, each of an alternation for `=~`, none for the negations. */
function literalValues(op: string, value: string): string[] {
  if (op === '=') return [value];
  return op === '=~' ? value.split('|') : [];
}

/** Error codes come from the catalogue (the registry only has those already counted). */
function valuesOf(label: string, labels: ReadonlyMap<string, ReadonlySet<string>> | undefined): string[] {
  return label === 'code' ? Object.values(ERRORS).map((error) => error.code) : [...(labels?.get(label) ?? [])];
}

/** Label names in `by (...)`, `without (...)`, `on (...)`, `ignoring (...)`. */
function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)].flatMap((match) =>
    (match[1] ?? '')
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== ''),
  );
}

/** The bare identifiers of an expression once label matchers, grouping lists and ranges are removed. */
function identifiers(expr: string): string[] {
  const stripped = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '$1 ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+\w+/g, ' ');
  return [...stripped.matchAll(/(?<![\w.])[a-zA-Z_:][\w:]*/g)].map((match) => match[0]);
}

/** The labels an alert's series carry: the `by` list of its aggregation, none after absent(), else all. */
function outputLabels(expr: string, exported: Exported): Set<string> {
  const by = /\bby\s*\(([^)]*)\)/.exec(expr);
  if (by) return new Set((by[1] ?? '').split(',').map((label) => label.trim()));
  if (/\babsent\s*\(/.test(expr)) return new Set();
  const labels = new Set(TARGET_LABELS);
  for (const { metric } of selectors(expr)) for (const label of exported.get(metric)?.keys() ?? []) labels.add(label);
  return labels;
}

function rulesOf(rule: PrometheusRule): AlertingRule[] {
  return rule.spec.groups.flatMap((group) => group.rules);
}

async function headings(file: URL | string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/^#{2,4} (.+)$/gm)].map((match) => (match[1] ?? '').trim());
}

describe('PrometheusRule (metrics.prometheusRule)', () => {
  const matrix: Record<string, Values> = {
    defaults: {},
    serviceMonitorOnly: { metrics: { serviceMonitor: { enabled: true } } },
    enabled: { metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true, labels: { release: 'prometheus' } } } },
    severity: {
      metrics: {
        serviceMonitor: { enabled: true },
        prometheusRule: { enabled: true, severity: { SnapshotClassDuplicateDefault: 'critical', SnapshotWebhookDown: 'page' } },
      },
    },
    certManagerIgnore: {
      ...ENABLED,
      certificates: { mode: 'certManager' },
      webhook: { failurePolicy: 'Ignore' },
      networkPolicy: { enabled: true },
    },
    existingSecret: { ...ENABLED, ...EXISTING_SECRET_VALUES },
    audit: { ...ENABLED, audit: { enabled: true } },
  };
  const get = renderMatrix(matrix);
  let exported: Exported;
  let defaultSeverity: Record<string, string>;

  beforeAll(async () => {
    exported = await exportedMetrics();
    const values = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
      metrics: { prometheusRule: { severity: Record<string, string> } };
    };
    defaultSeverity = values.metrics.prometheusRule.severity;
  });

  const rules = (name: string): AlertingRule[] => rulesOf(get(name).one<PrometheusRule>('PrometheusRule'));

  it('is not rendered by default, nor with the ServiceMonitor alone', () => {
    expect(get('defaults').all('PrometheusRule')).toEqual([]);
    expect(get('serviceMonitorOnly').all('PrometheusRule')).toEqual([]);
  });

  it('is rendered when enabled, in the release namespace, with the extra labels', () => {
    const rule = get('enabled').one<PrometheusRule>('PrometheusRule');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.name).toBe(FULLNAME);
    expect(rule.metadata.namespace).toBe(NAMESPACE);
    expect(rule.metadata.labels).toMatchObject({ release: 'prometheus', 'app.kubernetes.io/instance': 'snap' });
    expect(
      rulesOf(rule)
        .map((alert) => alert.alert)
        .sort(),
    ).toEqual([
      'SnapshotClassDuplicateDefault',
      'SnapshotWebhookAbusiveClients',
      'SnapshotWebhookCertificateExpiring',
      'SnapshotWebhookClassCacheWatchDisconnected',
      'SnapshotWebhookDown',
      'SnapshotWebhookInternalErrors',
    ]);
  });

  it('refuses to render without the ServiceMonitor whose series the alerts select', async () => {
    const result = await helmTemplate({ metrics: { prometheusRule: { enabled: true } } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('metrics.prometheusRule.enabled needs metrics.serviceMonitor.enabled');
  });

  it.each(Object.keys(matrix).filter((name) => name !== 'defaults' && name !== 'serviceMonitorOnly'))(
    'every alert has expr, for, a severity, a summary, a description and a runbook hint (%s)',
    (name) => {
      for (const alert of rules(name)) {
        expect(alert.expr, alert.alert).toMatch(/\S/);
        expect(alert.for, alert.alert).toMatch(/^\d+[smh]$/);
        expect(alert.labels?.severity, alert.alert).toMatch(/^\S+$/);
        for (const key of ['summary', 'description', 'runbook']) {
          expect(alert.annotations?.[key], `${alert.alert} ${key}`).toMatch(/\S/);
          // Helm must have passed Prometheus' own template syntax through, not evaluated it.
          expect(alert.annotations?.[key], `${alert.alert} ${key}`).not.toMatch(/<no value>|%!/);
        }
      }
    },
  );

  it('takes each severity from values, one entry per alert', () => {
    expect(Object.keys(defaultSeverity).sort()).toEqual(
      rules('audit')
        .map((alert) => alert.alert)
        .sort(),
    );
    expect(rules('enabled').map((alert) => alert.alert)).not.toContain('SnapshotWebhookAuditFindings');
    for (const alert of rules('enabled')) expect(alert.labels?.severity, alert.alert).toBe(defaultSeverity[alert.alert]);
    const overridden = new Map(rules('severity').map((alert) => [alert.alert, alert.labels?.severity]));
    expect(overridden.get('SnapshotClassDuplicateDefault')).toBe('critical');
    expect(overridden.get('SnapshotWebhookDown')).toBe('page');
    expect(overridden.get('SnapshotWebhookInternalErrors')).toBe(defaultSeverity.SnapshotWebhookInternalErrors);
  });

  it('alerts on the audit CronJob from kube-state-metrics series, only when the CronJob is rendered', () => {
    const alert = rules('audit').find((rule) => rule.alert === 'SnapshotWebhookAuditFindings');
    const cronJob = get('audit').one('CronJob');
    expect(
      selectors(alert?.expr ?? '')
        .map((selector) => selector.metric)
        .sort(),
    ).toEqual([
      'kube_cronjob_status_last_schedule_time',
      'kube_cronjob_status_last_schedule_time',
      'kube_cronjob_status_last_successful_time',
      'kube_cronjob_status_last_successful_time',
    ]);
    expect(alert?.expr).toContain(`cronjob="${cronJob.metadata.name}"`);
    expect(alert?.expr).toContain(`namespace="${NAMESPACE}"`);
  });

  it('uses only metric names the webhook registry exports (or Prometheus makes), and no unknown words', () => {
    const known = new Set([...exported.keys(), ...SYNTHETIC_METRICS]);
    for (const alert of rules('enabled')) {
      const names = selectors(alert.expr).map((selector) => selector.metric);
      expect(names.length, alert.alert).toBeGreaterThan(0);
      for (const metric of names) expect(known, `${alert.alert}: ${metric}`).toContain(metric);
      for (const word of identifiers(alert.expr)) {
        expect(PROMQL_WORDS.has(word) || known.has(word), `${alert.alert}: ${word} is neither a PromQL word nor an exported metric`).toBe(
          true,
        );
      }
    }
  });

  it('selects only label names and values the metrics have, scoped to the ServiceMonitor targets of this release', () => {
    for (const alert of rules('enabled')) {
      for (const selector of selectors(alert.expr)) checkSelector(alert.alert, selector, exported);
      const allowed = new Set([
        ...TARGET_LABELS,
        ...selectors(alert.expr).flatMap(({ metric }) => [...(exported.get(metric)?.keys() ?? [])]),
      ]);
      for (const label of groupingLabels(alert.expr)) expect([...allowed], `${alert.alert}: ${label}`).toContain(label);
    }
  });

  it('annotations name only labels the alert carries, in Prometheus template syntax', () => {
    let templated = 0;
    for (const alert of rules('enabled')) {
      const carried = outputLabels(alert.expr, exported);
      for (const text of Object.values(alert.annotations ?? {})) {
        for (const match of text.matchAll(/\{\{ \$labels\.(\w+) \}\}/g)) {
          templated += 1;
          expect([...carried], `${alert.alert}: $labels.${match[1]}`).toContain(match[1]);
        }
        expect(text.replace(/\{\{ \$(labels\.\w+|value)( \| humanizeDuration)? \}\}/g, ''), alert.alert).not.toMatch(/\{\{|\}\}/);
      }
    }
    expect(templated).toBeGreaterThan(0);
  });

  it('job and namespace select what the ServiceMonitor scrapes: the Service of this release', () => {
    const rendered = get('enabled');
    const monitor = rendered.one<ServiceMonitor>('ServiceMonitor');
    expect(monitor.spec.jobLabel).toBeUndefined();
    expect(selects(monitor.spec.selector, rendered.service.metadata.labels)).toBe(true);
    expect(monitor.spec.namespaceSelector?.matchNames).toEqual([NAMESPACE]);
    expect(rendered.service.metadata.name).toBe(FULLNAME);
    expect(rendered.service.metadata.namespace).toBe(NAMESPACE);
    expect(rules('enabled').find((alert) => alert.alert === 'SnapshotWebhookDown')?.expr).toBe(
      `absent(up{job="${FULLNAME}",namespace="${NAMESPACE}"} == 1)`,
    );
  });

  it('descriptions follow the certificate mode and failurePolicy', () => {
    const description = (name: string, alert: string): string =>
      rules(name).find((rule) => rule.alert === alert)?.annotations?.description ?? '';
    expect(description('enabled', 'SnapshotWebhookCertificateExpiring')).toContain(`Secret ${NAMESPACE}/${FULLNAME}-tls`);
    expect(description('enabled', 'SnapshotWebhookCertificateExpiring')).toContain('renewal has failed');
    expect(description('certManagerIgnore', 'SnapshotWebhookCertificateExpiring')).toContain(`describe certificate ${FULLNAME}`);
    expect(description('existingSecret', 'SnapshotWebhookCertificateExpiring')).toContain('You provide this certificate');
    expect(description('enabled', 'SnapshotWebhookDown')).toContain(`kubectl delete validatingwebhookconfiguration ${FULLNAME}`);
    expect(description('certManagerIgnore', 'SnapshotWebhookDown')).toContain('admitted unvalidated');
    expect(description('certManagerIgnore', 'SnapshotWebhookDown')).not.toContain('kubectl delete validatingwebhookconfiguration');
    expect(description('certManagerIgnore', 'SnapshotWebhookDown')).toContain('networkPolicy.metricsFrom');
    expect(description('enabled', 'SnapshotWebhookDown')).not.toContain('networkPolicy');
    expect(description('enabled', 'SnapshotClassDuplicateDefault')).toContain('snapshot-webhook audit');
  });

  it('runbook hints name README sections that exist', async () => {
    const [project, chart, notes] = await Promise.all([
      headings(README),
      headings(CHART_README),
      readFile(join(CHART_DIR, 'templates', 'NOTES.txt'), 'utf8'),
    ]);
    for (const alert of rules('enabled')) {
      const runbook = alert.annotations?.runbook ?? '';
      const match = /^snapshot-webhook (chart )?README, section "([^"]+)"/.exec(runbook);
      expect(match, `${alert.alert}: ${runbook}`).not.toBeNull();
      expect(match?.[1] ? chart : project, `${alert.alert}: ${runbook}`).toContain(match?.[2]);
      const note = /"If the webhook is down"/.exec(runbook);
      if (note) expect(notes).toContain('If the webhook is down');
    }
  });
});
