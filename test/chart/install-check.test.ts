import { describe, expect, it } from 'vitest';
import { FULLNAME, NAMESPACE, grants } from './chart.ts';
import type { Container, Job, Pod, Role, RoleBinding } from './k8s-types.ts';
import { renderMatrix } from './render-matrix.ts';

const CHECK = `${FULLNAME}-check`;

describe('the install check (installCheck)', () => {
  const get = renderMatrix({
    defaults: {},
    off: { installCheck: { enabled: false } },
    noTests: { tests: { enabled: false }, installCheck: { timeoutSeconds: 300 } },
  });

  it('runs `check` through the API server after every install and upgrade, once, and keeps a failed Job', () => {
    const job = get('defaults').one<Job>('Job', CHECK);
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'post-install,post-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(180);
    const pod = job.spec.template.spec;
    const [container] = pod.containers as [Container];
    expect(container.args).toEqual(['check', '--timeout-seconds', '180']);
    expect(container.image).toBe(get('defaults').container.image);
    expect(container.env).toEqual([{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }]);
    expect(pod.serviceAccountName).toBe(CHECK);
    expect((get('noTests').one<Job>('Job', CHECK).spec.template.spec.containers[0] as Container).args).toEqual([
      'check',
      '--timeout-seconds',
      '300',
    ]);
  });

  it('is also a `helm test` pod, unless tests are off', () => {
    const pod = get('defaults').one<Pod>('Pod', `${CHECK}-test`);
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    expect((pod.spec.containers[0] as Container).args).toEqual(['check', '--timeout-seconds', '60']);
    expect(get('noTests').all<Pod>('Pod')).toEqual([]);
  });

  it('may only create VolumeSnapshots (its dry runs) in the release namespace', () => {
    const role = get('defaults').one<Role>('Role', CHECK);
    expect(role.metadata.namespace).toBe(NAMESPACE);
    expect(grants(role.rules)).toEqual(['snapshot.storage.k8s.io volumesnapshots *any* create']);
    const binding = get('defaults').one<RoleBinding>('RoleBinding', CHECK);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: CHECK, namespace: NAMESPACE }]);
    expect(
      get('defaults')
        .all('ClusterRole')
        .map((clusterRole) => clusterRole.metadata.name),
    ).not.toContain(CHECK);
  });

  it('renders nothing when turned off', () => {
    const rendered = get('off');
    expect(rendered.all('Job')).toEqual([]);
    expect(rendered.all('ServiceAccount').map((account) => account.metadata.name)).not.toContain(CHECK);
    expect(rendered.all('Role').map((role) => role.metadata.name)).not.toContain(CHECK);
  });
});
