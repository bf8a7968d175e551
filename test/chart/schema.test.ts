import { describe, expect, it } from 'vitest';
import { SAMPLE_CA_BUNDLE, helmInstallDryRun, helmTemplate, type Values } from './chart.ts';

/** Values that must be refused, and what helm's message must point at. */
const REFUSED: [string, Values, string][] = [
  ['replicaCount as a word', { replicaCount: 'two' }, "at '/replicaCount': got string, want integer"],
  ['replicaCount 0', { replicaCount: 0 }, "at '/replicaCount': minimum: got 0, want 1"],
  ['timeoutSeconds above 30', { webhook: { timeoutSeconds: 60 } }, "at '/webhook/timeoutSeconds': maximum: got 60, want 30"],
  ['timeoutSeconds below 1', { webhook: { timeoutSeconds: 0 } }, "at '/webhook/timeoutSeconds': minimum: got 0, want 1"],
  [
    'an unknown failurePolicy',
    { webhook: { failurePolicy: 'Sometimes' } },
    "at '/webhook/failurePolicy': value must be one of 'Fail', 'Ignore'",
  ],
  [
    'an unknown certificates.mode',
    { certificates: { mode: 'foo' } },
    "at '/certificates/mode': value must be one of 'selfManaged', 'certManager', 'existingSecret'",
  ],
  ['an unknown top-level key', { replicas: 3 }, "additional properties 'replicas' not allowed"],
  ['a misspelt nested key', { webhook: { timeout: 5 } }, "at '/webhook': additional properties 'timeout' not allowed"],
  [
    'existingSecret without caBundle',
    { certificates: { mode: 'existingSecret', existingSecret: { name: 'tls' } } },
    "at '/certificates/existingSecret/caBundle': minLength: got 0, want 1",
  ],
  [
    'existingSecret without a Secret name',
    { certificates: { mode: 'existingSecret', existingSecret: { caBundle: SAMPLE_CA_BUNDLE } } },
    "at '/certificates/existingSecret/name'",
  ],
  [
    'a caBundle that is not base64',
    { certificates: { mode: 'existingSecret', existingSecret: { name: 'tls', caBundle: '-----BEGIN CERTIFICATE-----' } } },
    "at '/certificates/existingSecret/caBundle': '-----BEGIN CERTIFICATE-----' does not match pattern",
  ],
  ['a privileged container port', { port: 443 }, "at '/port': minimum: got 443"],
  ['the former name of port', { containerPorts: { webhook: 9443 } }, "additional properties 'webhook' not allowed"],
  ['a boolean as a string', { preventVolumeModeConversion: 'yes' }, "at '/preventVolumeModeConversion': got string, want boolean"],
  ['an unknown log level', { logLevel: 'verbose' }, "at '/logLevel': value must be one of"],
  ['an unknown anti-affinity preset', { podAntiAffinity: 'strict' }, "at '/podAntiAffinity': value must be one of 'soft', 'hard', 'none'"],
  ['the removed opt-out label key', { webhook: { skipLabelKey: 'example.com/skip' } }, "additional properties 'skipLabelKey' not allowed"],
  ['a match condition without an expression', { webhook: { matchConditions: [{ name: 'x' }] } }, "missing property 'expression'"],
  ['a toleration with a typo', { tolerations: [{ keey: 'a' }] }, "at '/tolerations/0': additional properties 'keey' not allowed"],
  ['a memory request that is no quantity', { resources: { requests: { memory: 'lots' } } }, "at '/resources/requests/memory'"],
  ['a CPU limit with a unit typo', { resources: { limits: { cpu: '500 m' } } }, "at '/resources/limits/cpu'"],
  [
    'a misspelt key under metrics.prometheusRule',
    { metrics: { prometheusRule: { enable: true } } },
    "at '/metrics/prometheusRule': additional properties 'enable' not allowed",
  ],
  [
    'a severity for an alert that does not exist',
    { metrics: { prometheusRule: { severity: { SnapshotWebhookDwn: 'critical' } } } },
    "at '/metrics/prometheusRule/severity': additional properties 'SnapshotWebhookDwn' not allowed",
  ],
  [
    'an empty severity',
    { metrics: { prometheusRule: { severity: { SnapshotWebhookDown: '' } } } },
    "at '/metrics/prometheusRule/severity/SnapshotWebhookDown'",
  ],
  [
    'a PrometheusRule label that is no string',
    { metrics: { prometheusRule: { labels: { release: 1 } } } },
    "at '/metrics/prometheusRule/labels/release': got number, want string",
  ],
  [
    'a bad selector operator',
    { webhook: { namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Equals' }] } } },
    "at '/webhook/namespaceSelector/matchExpressions/0/operator'",
  ],
];

/** Values at the edges that must be accepted. */
const ACCEPTED: [string, Values][] = [
  ['timeoutSeconds 1', { webhook: { timeoutSeconds: 1 } }],
  ['timeoutSeconds 30', { webhook: { timeoutSeconds: 30 } }],
  ['failurePolicy Ignore', { webhook: { failurePolicy: 'Ignore' } }],
  ['a PDB as a percentage', { podDisruptionBudget: { maxUnavailable: '50%' } }],
  [
    'quantities in every form',
    { resources: { requests: { cpu: 0.25, memory: '200M' }, limits: { cpu: '1', memory: '1.5Gi', 'ephemeral-storage': '1e9' } } },
  ],
  [
    'a PrometheusRule with its ServiceMonitor, labels and a severity',
    {
      metrics: {
        serviceMonitor: { enabled: true },
        prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' }, severity: { SnapshotWebhookDown: 'page' } },
      },
    },
  ],
  ['values a parent chart passes down', { global: { imageRegistry: 'example.com' } }],
  ['existingSecret complete', { certificates: { mode: 'existingSecret', existingSecret: { name: 'tls', caBundle: SAMPLE_CA_BUNDLE } } }],
];

describe('values.schema.json', () => {
  it.concurrent.each(REFUSED)('refuses %s and names the value', async (_name, values, message) => {
    const result = await helmTemplate(values);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(message);
  });

  it.concurrent.each(ACCEPTED)('accepts %s', async (_name, values) => {
    const result = await helmTemplate(values);
    expect(result).toMatchObject({ stderr: '', code: 0 });
  });

  it('refuses bad values on helm install too', async () => {
    const result = await helmInstallDryRun({ replicaCount: 'two' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("at '/replicaCount': got string, want integer");
  });

  it('refuses a Kubernetes version older than 1.28 (matchConditions)', async () => {
    const [old, current] = await Promise.all([
      helmTemplate({}, ['--kube-version', '1.27.9']),
      helmTemplate({}, ['--kube-version', '1.28.0']),
    ]);
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain('>=1.28.0-0');
    expect(current.code).toBe(0);
  });
});
