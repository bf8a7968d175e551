import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CERT_MANAGER_VALUES,
  CHART_DIR,
  EXISTING_SECRET_VALUES,
  FULLNAME,
  NAMESPACE,
  flag,
  helmTemplate,
  resolvePort,
  selects,
  type Values,
} from './chart.ts';
import { renderMatrix } from './render-matrix.ts';
import type { PodDisruptionBudget, ServiceAccount } from './k8s-types.ts';

const MATRIX: Record<string, Values> = {
  defaults: {},
  certManager: CERT_MANAGER_VALUES,
  existingSecret: EXISTING_SECRET_VALUES,
  replicas1: { replicaCount: 1 },
  replicas3: { replicaCount: 3 },
  pdbOff: { replicaCount: 3, podDisruptionBudget: { enabled: false } },
  ports: { service: { port: 9443 }, port: 10443, containerPorts: { metrics: 10080 } },
  tuned: {
    logLevel: 'debug',
    drainSeconds: 12,
    terminationGracePeriodSeconds: 40,
    preventVolumeModeConversion: false,
    image: { tag: '1.2.3', pullPolicy: 'Always' },
    extraArgs: ['--kubeconfig=/etc/kube/config'],
    extraEnv: [{ name: 'SNAPSHOT_WEBHOOK_LOG_LEVEL', value: 'warn' }],
    priorityClassName: 'system-cluster-critical',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }],
    podAnnotations: { 'example.com/team': 'storage' },
    podLabels: { 'example.com/tier': 'control' },
    podAntiAffinity: 'hard',
    topologySpreadConstraints: [],
  },
  digest: { image: { digest: `sha256:${'a'.repeat(64)}`, tag: 'ignored' } },
  affinity: {
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
  },
  serviceAccount: { serviceAccount: { create: false, name: 'shared-sa' } },
  memory1Gi: { resources: { limits: { memory: '1Gi' } } },
  memory400M: { resources: { limits: { memory: '400M' } } },
  memoryHalfGi: { resources: { limits: { memory: '0.5Gi' } } },
  noMemoryLimit: { resources: { limits: { memory: null } } },
  heapDefaults: { heap: { oldSpacePercent: 0, semiSpaceMiB: 0 } },
  gkePrivate: { hostNetwork: true, port: 10250, containerPorts: { metrics: 10251 } },
  openShift: { podSecurityContext: { runAsUser: null, runAsGroup: null }, securityContext: { runAsUser: null } },
  operations: {
    revisionHistoryLimit: 2,
    livenessProbe: { periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
    readinessProbe: { periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 1 },
  },
};

const NODE_OPTIONS_DEFAULT = { name: 'NODE_OPTIONS', value: '--max-old-space-size=192 --max-semi-space-size=2' };

describe('Deployment, Service, PodDisruptionBudget', () => {
  const get = renderMatrix(MATRIX);

  it('can run on the node network at a chosen port (GKE private clusters: 10250), port and --port together', () => {
    const defaults = get('defaults').deployment.spec.template.spec;
    expect(defaults.hostNetwork).toBeUndefined();
    expect(defaults.dnsPolicy).toBeUndefined();
    const gke = get('gkePrivate');
    const spec = gke.deployment.spec.template.spec;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(flag(gke.container.args, 'port')).toBe('10250');
    expect(gke.container.ports?.find((port) => port.name === 'https')?.containerPort).toBe(10250);
  });

  it('runs on Linux nodes by default, with the restricted security context, whose user and group may be left to the platform', () => {
    const defaults = get('defaults').deployment.spec.template.spec;
    expect(defaults.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(defaults.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const openShift = get('openShift');
    expect(openShift.deployment.spec.template.spec.securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(openShift.container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(openShift.container.securityContext?.runAsUser).toBeUndefined();
  });

  it('takes probe timings and the revision history from values; the probe paths stay', () => {
    expect(get('defaults').deployment.spec.revisionHistoryLimit).toBe(5);
    expect(get('defaults').container.livenessProbe).toEqual({
      httpGet: { path: '/livez', port: 'metrics' },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    });
    const operations = get('operations');
    expect(operations.deployment.spec.revisionHistoryLimit).toBe(2);
    expect(operations.container.livenessProbe).toEqual({
      httpGet: { path: '/livez', port: 'metrics' },
      periodSeconds: 20,
      timeoutSeconds: 5,
      failureThreshold: 6,
    });
    expect(operations.container.readinessProbe).toEqual({
      httpGet: { path: '/readyz', port: 'metrics' },
      periodSeconds: 3,
      timeoutSeconds: 1,
      failureThreshold: 1,
    });
  });

  it('runs 2 replicas by default and the configured number otherwise', () => {
    expect(get('defaults').deployment.spec.replicas).toBe(2);
    expect(get('replicas1').deployment.spec.replicas).toBe(1);
    expect(get('replicas3').deployment.spec.replicas).toBe(3);
  });

  const PORT_CASES = [
    ['defaults', { webhookPort: 8443, metricsPort: 8080, servicePort: 443 }],
    ['ports', { webhookPort: 10443, metricsPort: 10080, servicePort: 9443 }],
  ] as const;

  it.each(PORT_CASES)('%s: Service port -> container port -> --port, and the clientConfig names that Service port', (name, expected) => {
    const { container, service, webhook, deployment } = get(name);
    const https = service.spec.ports.find((port) => port.name === 'https');
    expect(https?.port).toBe(expected.servicePort);
    expect(resolvePort(container, https?.targetPort)).toBe(expected.webhookPort);
    expect(flag(container.args, 'port')).toBe(String(expected.webhookPort));
    expect(webhook.clientConfig).toEqual({
      service: { name: service.metadata.name, namespace: NAMESPACE, path: '/validate', port: expected.servicePort },
    });
    expect(selects({ matchLabels: service.spec.selector }, deployment.spec.template.metadata.labels)).toBe(true);
  });

  it.each(PORT_CASES)('%s: probes use plain HTTP on the metrics port given as --metrics-port', (name, expected) => {
    const { container } = get(name);
    expect(flag(container.args, 'metrics-port')).toBe(String(expected.metricsPort));
    const probes = { liveness: container.livenessProbe?.httpGet, readiness: container.readinessProbe?.httpGet };
    expect(probes.liveness?.path).toBe('/livez');
    expect(probes.readiness?.path).toBe('/readyz');
    for (const probe of Object.values(probes)) {
      expect(resolvePort(container, probe?.port)).toBe(expected.metricsPort);
      expect(probe?.scheme).toBeUndefined();
    }
  });

  it('passes the self-managed certificate flags naming objects the chart renders, and mounts no certificate', () => {
    const rendered = get('defaults');
    const { args, volumeMounts } = rendered.container;
    expect(flag(args, 'tls-secret')).toBe(`${NAMESPACE}/${FULLNAME}-tls`);
    expect(flag(args, 'webhook-configuration')).toBe(rendered.one('ValidatingWebhookConfiguration').metadata.name);
    expect(flag(args, 'service')).toBe(`${NAMESPACE}/${rendered.service.metadata.name}`);
    expect(flag(args, 'tls-cert-file')).toBeUndefined();
    expect(flag(args, 'tls-private-key-file')).toBeUndefined();
    expect(volumeMounts?.map((mount) => mount.name)).toEqual(['tmp']);
    expect(rendered.deployment.spec.template.spec.volumes?.some((volume) => volume.secret)).toBe(false);
  });

  it.each([
    ['certManager', `${FULLNAME}-tls`],
    ['existingSecret', 'my-webhook-tls'],
  ])('in %s mode mounts Secret %s (certificate and key only) and passes the certificate files', (mode, secretName) => {
    const rendered = get(mode);
    const { args, volumeMounts } = rendered.container;
    const tls = rendered.deployment.spec.template.spec.volumes?.find((volume) => volume.name === 'tls');
    expect(tls?.secret).toEqual({
      secretName,
      items: [
        { key: 'tls.crt', path: 'tls.crt' },
        { key: 'tls.key', path: 'tls.key' },
      ],
    });
    const mount = volumeMounts?.find((candidate) => candidate.name === 'tls');
    expect(mount?.readOnly).toBe(true);
    const directory = mount?.mountPath ?? 'not mounted';
    expect([flag(args, 'tls-cert-file'), flag(args, 'tls-private-key-file')]).toEqual([`${directory}/tls.crt`, `${directory}/tls.key`]);
    const selfManagedFlags = ['tls-secret', 'webhook-configuration', 'service'].map((name) => flag(args, name));
    expect(selfManagedFlags).toEqual([undefined, undefined, undefined]);
  });

  it('passes the process settings as flags', () => {
    expect(get('defaults').container.args).toEqual(
      expect.arrayContaining(['--log-level=info', '--drain-seconds=5', '--prevent-volume-mode-conversion=true']),
    );
    const tuned = get('tuned').container;
    expect(tuned.args).toEqual(
      expect.arrayContaining([
        '--log-level=debug',
        '--drain-seconds=12',
        '--prevent-volume-mode-conversion=false',
        '--kubeconfig=/etc/kube/config',
      ]),
    );
    expect(tuned.env).toEqual([NODE_OPTIONS_DEFAULT, { name: 'SNAPSHOT_WEBHOOK_LOG_LEVEL', value: 'warn' }]);
  });

  it('bounds the V8 heap from the memory limit (NODE_OPTIONS), in a form Node takes', () => {
    expect(get('defaults').container.env).toEqual([NODE_OPTIONS_DEFAULT]);
    const options = (name: string) => get(name).container.env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value;
    expect(options('memory1Gi')).toBe('--max-old-space-size=512 --max-semi-space-size=2');
    expect(options('memory400M')).toBe('--max-old-space-size=190 --max-semi-space-size=2');
    expect(options('memoryHalfGi')).toBe('--max-old-space-size=256 --max-semi-space-size=2');
    expect(options('noMemoryLimit')).toBe('--max-semi-space-size=2');
    expect(options('heapDefaults')).toBeUndefined();
    // Node itself reads the rendered value: the heap limit it reports follows it.
    const limit = spawnSync(process.execPath, ['-p', 'v8.getHeapStatistics().heap_size_limit'], {
      env: { PATH: process.env.PATH, NODE_OPTIONS: NODE_OPTIONS_DEFAULT.value },
      encoding: 'utf8',
    });
    expect(Number(limit.stdout) / 2 ** 20).toBeGreaterThanOrEqual(192);
    expect(Number(limit.stdout) / 2 ** 20).toBeLessThan(200);
  });

  it('refuses a memory limit it cannot read, or one that leaves too little heap', async () => {
    const unreadable = await helmTemplate({ resources: { limits: { memory: '4e8' } } });
    expect(unreadable.code).not.toBe(0);
    expect(unreadable.stderr).toContain(
      'resources.limits.memory "4e8": to size the V8 heap the chart reads a number with an optional unit',
    );
    expect((await helmTemplate({ resources: { limits: { memory: '4e8' } }, heap: { oldSpacePercent: 0 } })).code).toBe(0);
    const small = await helmTemplate({ resources: { limits: { memory: '100Mi' } } });
    expect(small.code).not.toBe(0);
    expect(small.stderr).toContain('resources.limits.memory 100Mi leaves the V8 heap 50 MiB');
  });

  it('gives the process more time than its drain after SIGTERM, and refuses values that would not', async () => {
    const spec = get('defaults').deployment.spec.template.spec;
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(flag(get('defaults').container.args, 'drain-seconds')));
    expect(get('tuned').deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(40);
    const refused = await helmTemplate({ drainSeconds: 30, terminationGracePeriodSeconds: 30 });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('terminationGracePeriodSeconds (30) must be greater than drainSeconds (30)');
  });

  it('refuses extraArgs that would override a flag the chart sets (the Service, probes and RBAC follow the values)', async () => {
    for (const [args, flagName] of [
      [['--port=9443'], '--port'],
      [['--log-level', 'debug'], '--log-level'],
      [['--kubeconfig=/k', '--tls-cert-file=/x.crt'], '--tls-cert-file'],
    ] as const) {
      const refused = await helmTemplate({ extraArgs: [...args] });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`extraArgs: ${flagName} is set by the chart`);
    }
    // Flags the chart does not set stay free (the 'tuned' values pass --kubeconfig).
    expect(flag(get('tuned').container.args, 'kubeconfig')).toBe('/etc/kube/config');
  });

  it('uses the appVersion as image tag by default; tag and digest override it', () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    expect(get('defaults').container.image).toBe(`ghcr.io/snapshot-webhook/snapshot-webhook:${chart.appVersion}`);
    expect(get('tuned').container.image).toBe('ghcr.io/snapshot-webhook/snapshot-webhook:1.2.3');
    expect(get('digest').container.image).toBe(`ghcr.io/snapshot-webhook/snapshot-webhook@sha256:${'a'.repeat(64)}`);
  });

  it('requests the memory it was measured to use (docs/benchmarks.md: 80-145 MiB), with room above for large objects', () => {
    const { resources } = get('defaults').container;
    expect(resources?.requests).toEqual({ cpu: '50m', memory: '128Mi' });
    expect(resources?.limits).toEqual({ cpu: '500m', memory: '384Mi' });
  });

  it('has the appVersion of the package it ships (the image tag follows it)', () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(chart.appVersion).toBe(manifest.version);
  });

  it('has a PodDisruptionBudget exactly when there is more than one replica (unless disabled)', () => {
    for (const [name, expected] of [
      ['defaults', 1],
      ['replicas3', 1],
      ['replicas1', 0],
      ['pdbOff', 0],
    ] as const) {
      expect(get(name).all('PodDisruptionBudget'), name).toHaveLength(expected);
    }
    const budget = get('replicas3').one<PodDisruptionBudget>('PodDisruptionBudget');
    expect(budget.spec.maxUnavailable).toBe(1);
    expect(selects(budget.spec.selector, get('replicas3').deployment.spec.template.metadata.labels)).toBe(true);
  });

  it('spreads pods over nodes by default (preferred anti-affinity and topology spread)', () => {
    const rendered = get('defaults');
    const { spec, metadata } = rendered.deployment.spec.template;
    const preferred = spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    expect(preferred).toHaveLength(1);
    expect(preferred[0]?.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(selects(preferred[0]?.podAffinityTerm.labelSelector, metadata.labels)).toBe(true);
    expect(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    const [spread, ...more] = spec.topologySpreadConstraints ?? [];
    expect(more).toEqual([]);
    expect(spread).toMatchObject({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 1 });
    expect(selects(spread?.labelSelector, metadata.labels)).toBe(true);
  });

  it('takes scheduling overrides: hard anti-affinity, no spread, a full affinity, node selector, tolerations, priority', () => {
    const tuned = get('tuned').deployment.spec.template.spec;
    expect(tuned.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.topologyKey).toBe(
      'kubernetes.io/hostname',
    );
    expect(tuned.topologySpreadConstraints).toBeUndefined();
    expect(tuned.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(tuned.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' }]);
    expect(tuned.priorityClassName).toBe('system-cluster-critical');
    expect(get('defaults').deployment.spec.template.spec.priorityClassName).toBeUndefined();
    expect(get('affinity').deployment.spec.template.spec.affinity).toEqual(MATRIX.affinity?.affinity);
  });

  it('rolls out surge-first, except under hard anti-affinity, where a surge pod could find no node', () => {
    const rollingUpdate = (name: string) => get(name).deployment.spec.strategy?.rollingUpdate;
    expect(rollingUpdate('defaults')).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    expect(rollingUpdate('tuned')).toEqual({ maxUnavailable: 1, maxSurge: 0 });
    expect(rollingUpdate('affinity')).toEqual({ maxUnavailable: 0, maxSurge: 1 }); // the preset is ignored then
  });

  it('adds pod annotations and labels without breaking the selector', () => {
    const { metadata } = get('tuned').deployment.spec.template;
    expect(metadata.annotations).toEqual({ 'example.com/team': 'storage' });
    expect(metadata.labels?.['example.com/tier']).toBe('control');
    expect(selects(get('tuned').deployment.spec.selector, metadata.labels)).toBe(true);
  });

  it('runs as its own ServiceAccount, or as a named existing one', () => {
    const rendered = get('defaults');
    const [account] = rendered.own<ServiceAccount>('ServiceAccount') as [ServiceAccount];
    expect(rendered.deployment.spec.template.spec.serviceAccountName).toBe(account.metadata.name);
    expect(account.metadata.namespace).toBe(NAMESPACE);
    expect(rendered.own('ServiceAccount')).toHaveLength(1);
    expect(get('serviceAccount').own('ServiceAccount')).toEqual([]);
    expect(get('serviceAccount').deployment.spec.template.spec.serviceAccountName).toBe('shared-sa');
  });

  it('refuses serviceAccount.create false without a name to use', async () => {
    const refused = await helmTemplate({ serviceAccount: { create: false } });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('serviceAccount.name is required when serviceAccount.create is false');
  });
});
