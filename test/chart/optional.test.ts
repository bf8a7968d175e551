import { describe, expect, it } from 'vitest';
import { NAMESPACE, resolvePort, selects, type Values } from './chart.ts';
import { renderMatrix } from './render-matrix.ts';
import type { NetworkPolicy, ServiceMonitor } from './k8s-types.ts';

describe('optional parts', () => {
  const matrix: Record<string, Values> = {
    defaults: {},
    monitoring: { metrics: { serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prometheus' } } } },
    networkPolicy: { networkPolicy: { enabled: true } },
    networkPolicyCustom: {
      port: 9443,
      containerPorts: { metrics: 9090 },
      networkPolicy: {
        enabled: true,
        metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        apiServer: { cidrs: ['10.0.0.1/32'], ports: [6443] },
      },
    },
    networkPolicyNoScrape: { networkPolicy: { enabled: true, metricsFrom: [] } },
    tests: { tests: { enabled: false } },
  };
  const get = renderMatrix(matrix);

  it('renders no ServiceMonitor and no NetworkPolicy by default', () => {
    expect(get('defaults').all('ServiceMonitor')).toEqual([]);
    expect(get('defaults').all('NetworkPolicy')).toEqual([]);
  });

  it('ServiceMonitor scrapes /metrics through the Service port that reaches the metrics container port', () => {
    const rendered = get('monitoring');
    const monitor = rendered.one<ServiceMonitor>('ServiceMonitor');
    expect(monitor.metadata.labels?.release).toBe('prometheus');
    expect(selects(monitor.spec.selector, rendered.service.metadata.labels)).toBe(true);
    expect(monitor.spec.namespaceSelector?.matchNames).toEqual([NAMESPACE]);
    const [endpoint] = monitor.spec.endpoints;
    expect(endpoint).toMatchObject({ path: '/metrics', interval: '15s' });
    const servicePort = rendered.service.spec.ports.find((port) => port.name === endpoint?.port);
    expect(resolvePort(rendered.container, servicePort?.targetPort)).toBe(8080);
  });

  it('NetworkPolicy: webhook port open to all, metrics port to the configured peers, egress to the API server', () => {
    const rendered = get('networkPolicy');
    const policy = rendered.one<NetworkPolicy>('NetworkPolicy');
    expect(selects(policy.spec.podSelector, rendered.deployment.spec.template.metadata.labels)).toBe(true);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([
      { ports: [{ port: 8443, protocol: 'TCP' }] },
      {
        from: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      },
    ]);
    expect(policy.spec.egress).toEqual([
      {
        ports: [
          { port: 443, protocol: 'TCP' },
          { port: 6443, protocol: 'TCP' },
        ],
      },
    ]);
  });

  it('NetworkPolicy follows custom ports, peers and API server addresses', () => {
    const policy = get('networkPolicyCustom').one<NetworkPolicy>('NetworkPolicy');
    expect(policy.spec.ingress).toEqual([
      { ports: [{ port: 9443, protocol: 'TCP' }] },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ port: 9090, protocol: 'TCP' }],
      },
    ]);
    expect(policy.spec.egress).toEqual([{ ports: [{ port: 6443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.0.0.1/32' } }] }]);
  });

  it('NetworkPolicy with no metrics peers closes the metrics port instead of opening it to all', () => {
    const policy = get('networkPolicyNoScrape').one<NetworkPolicy>('NetworkPolicy');
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: 8443, protocol: 'TCP' }] }]);
  });

  it('renders the helm test pod unless tests are disabled', () => {
    expect(get('defaults').testPods).toHaveLength(1);
    expect(get('tests').testPods).toEqual([]);
  });
});
