import { beforeAll, describe, expect, it } from 'vitest';
import { EXISTING_SECRET_VALUES, FULLNAME, NAMESPACE, helmInstallDryRun, type Values } from './chart.ts';

/** NOTES.txt as `helm install` prints it (client-side dry run: no cluster needed). */
async function notes(values: Values): Promise<string> {
  const result = await helmInstallDryRun(values);
  if (result.code !== 0) throw new Error(result.stderr);
  const start = result.stdout.indexOf('NOTES:\n');
  if (start < 0) throw new Error('no NOTES in helm install output');
  return result.stdout.slice(start);
}

describe('NOTES.txt', () => {
  const text = new Map<string, string>();
  const get = (name: string): string => text.get(name) ?? '';
  const matrix: Record<string, Values> = {
    defaults: {},
    single: { replicaCount: 1 },
    singleIgnore: { replicaCount: 1, webhook: { failurePolicy: 'Ignore' } },
    existingSecret: EXISTING_SECRET_VALUES,
    monitoring: { metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } } },
  };

  beforeAll(async () => {
    const names = Object.keys(matrix);
    const results = await Promise.all(names.map((name) => notes(matrix[name] ?? {})));
    names.forEach((name, index) => text.set(name, results[index] ?? ''));
  });

  it('says what was installed', () => {
    expect(get('defaults')).toContain(`Deployment ${FULLNAME} (2 replicas)`);
    expect(get('defaults')).toContain(`ValidatingWebhookConfiguration ${FULLNAME}`);
    expect(get('defaults')).toContain('Certificates: self-managed');
    expect(get('existingSecret')).toContain('existing Secret my-webhook-tls');
  });

  it('lists the ServiceMonitor and PrometheusRule only when enabled', () => {
    expect(get('monitoring')).toContain(`ServiceMonitor ${FULLNAME}`);
    expect(get('monitoring')).toContain(`PrometheusRule ${FULLNAME} (alerts:`);
    expect(get('defaults')).not.toContain('ServiceMonitor');
    expect(get('defaults')).not.toContain('PrometheusRule');
  });

  it('warns when there is a single replica, and only then', () => {
    expect(get('single')).toContain('WARNING: replicaCount is 1');
    expect(get('single')).toContain('with failurePolicy Fail creating or updating');
    expect(get('singleIgnore')).toContain('with failurePolicy Ignore snapshot resources go unvalidated');
    expect(get('defaults')).not.toContain('WARNING');
  });

  it('shows how to check the pods, run helm test and see a denial with a server-side dry run', () => {
    const defaults = get('defaults');
    expect(defaults).toContain(
      `kubectl -n ${NAMESPACE} get pods -l app.kubernetes.io/instance=snap,app.kubernetes.io/name=snapshot-webhook`,
    );
    expect(defaults).toContain(`helm test snap -n ${NAMESPACE}`);
    expect(defaults).toContain('kubectl apply --dry-run=server -f -');
    expect(defaults).toContain('kind: VolumeSnapshot');
    expect(defaults).toContain('is invalid');
  });

  it('explains failurePolicy and how to recover when the webhook is down', () => {
    const defaults = get('defaults');
    expect(defaults).toContain('failurePolicy Fail');
    expect(defaults).toContain('cannot block pods, nodes or the control plane');
    expect(defaults).toContain(`kubectl delete validatingwebhookconfiguration ${FULLNAME}`);
    expect(get('singleIgnore')).toContain('admits the request unvalidated');
  });

  it('tells how to remove the self-managed Secret, which is not part of the release', () => {
    expect(get('defaults')).toContain(`kubectl -n ${NAMESPACE} delete secret ${FULLNAME}-tls`);
    expect(get('existingSecret')).not.toContain('delete secret');
  });
});
