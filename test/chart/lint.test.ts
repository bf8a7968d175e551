import { describe, expect, it } from 'vitest';
import { CERT_MANAGER_VALUES, CHART_DIR, EXISTING_SECRET_VALUES, type Values } from './chart.ts';
import { runHelm } from '../support/helm.ts';

const CASES: [string, Values][] = [
  ['defaults', {}],
  ['certManager', CERT_MANAGER_VALUES],
  [
    'certManager with an issuer',
    { certificates: { mode: 'certManager', certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' } } } },
  ],
  ['existingSecret', EXISTING_SECRET_VALUES],
  [
    'every option on, one replica',
    {
      replicaCount: 1,
      metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
      networkPolicy: { enabled: true },
      priorityClassName: 'high',
      hostNetwork: true,
      port: 10250,
      webhook: {
        objectSelector: { matchLabels: { validated: 'yes' } },
        matchConditions: [{ name: 'not-system', expression: "!request.userInfo.username.startsWith('system:')" }],
        labels: { team: 'storage' },
      },
      podSecurityContext: { runAsUser: null, runAsGroup: null },
      audit: { enabled: true },
      grafanaDashboard: { enabled: true },
    },
  ],
];

describe('helm lint --strict', () => {
  it.concurrent.each(CASES)('passes with %s', async (_name, values) => {
    const result = await runHelm(['lint', '--strict', CHART_DIR, '-f', '-'], { input: JSON.stringify(values) });
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(result.code).toBe(0);
  });

  it('fails on bad values (so the cases above could fail)', async () => {
    const result = await runHelm(['lint', '--strict', CHART_DIR, '-f', '-'], { input: JSON.stringify({ replicaCount: 'two' }) });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('/replicaCount');
  });
});
