import { describe, expect, it } from 'vitest';
import { FULLNAME, NAMESPACE, grants, type Values } from './chart.ts';
import type { Container, CronJob, Role, RoleBinding } from './k8s-types.ts';
import { renderMatrix } from './render-matrix.ts';

const AUDIT = `${FULLNAME}-audit`;

describe('the audit CronJob (audit.enabled)', () => {
  const get = renderMatrix({
    defaults: {},
    enabled: { audit: { enabled: true } } satisfies Values,
    tuned: {
      audit: { enabled: true, schedule: '0 3 * * *', output: 'json', activeDeadlineSeconds: 1200 },
      podSecurityContext: { runAsUser: null },
    } satisfies Values,
  });

  it('is not rendered by default', () => {
    expect(get('defaults').all('CronJob')).toEqual([]);
    expect(
      get('defaults')
        .all('ClusterRole')
        .map((role) => role.metadata.name),
    ).toEqual([FULLNAME]);
  });

  it('runs audit once per schedule, never two at a time, with no retry, from the webhook image', () => {
    const cronJob = get('enabled').one<CronJob>('CronJob');
    expect(cronJob.metadata).toMatchObject({ name: AUDIT, namespace: NAMESPACE });
    expect(cronJob.spec).toMatchObject({ schedule: '17 */6 * * *', concurrencyPolicy: 'Forbid' });
    expect(cronJob.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 600 });
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    const [container] = pod.containers as [Container];
    expect(container.args).toEqual(['audit', '--output', 'table']);
    expect(container.image).toBe(get('enabled').container.image);
    expect(pod.serviceAccountName).toBe(AUDIT);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const tuned = get('tuned').one<CronJob>('CronJob');
    expect(tuned.spec.schedule).toBe('0 3 * * *');
    expect(tuned.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(1200);
    expect((tuned.spec.jobTemplate.spec.template.spec.containers[0] as Container).args).toEqual(['audit', '--output', 'json']);
    expect(tuned.spec.jobTemplate.spec.template.spec.securityContext?.runAsUser).toBeUndefined();
  });

  it('may list the six snapshot kinds and the PVCs, and get what a restore names; nothing else, through its own ServiceAccount', () => {
    const role = get('enabled')
      .all<Role>('ClusterRole')
      .find((candidate) => candidate.metadata.name === AUDIT);
    expect(grants(role?.rules ?? [])).toEqual([
      'core persistentvolumeclaims *any* get',
      'core persistentvolumeclaims *any* list',
      'core persistentvolumes *any* get',
      'groupsnapshot.storage.k8s.io volumegroupsnapshotclasses *any* list',
      'groupsnapshot.storage.k8s.io volumegroupsnapshotcontents *any* list',
      'groupsnapshot.storage.k8s.io volumegroupsnapshots *any* list',
      'snapshot.storage.k8s.io volumesnapshotclasses *any* get',
      'snapshot.storage.k8s.io volumesnapshotclasses *any* list',
      'snapshot.storage.k8s.io volumesnapshotcontents *any* get',
      'snapshot.storage.k8s.io volumesnapshotcontents *any* list',
      'snapshot.storage.k8s.io volumesnapshots *any* get',
      'snapshot.storage.k8s.io volumesnapshots *any* list',
      'storage.k8s.io storageclasses *any* get',
    ]);
    const binding = get('enabled')
      .all<RoleBinding>('ClusterRoleBinding')
      .find((candidate) => candidate.metadata.name === AUDIT);
    expect(binding?.roleRef).toMatchObject({ kind: 'ClusterRole', name: AUDIT });
    expect(binding?.subjects).toEqual([{ kind: 'ServiceAccount', name: AUDIT, namespace: NAMESPACE }]);
    expect(
      get('enabled')
        .all('ServiceAccount')
        .map((account) => account.metadata.name),
    ).toContain(AUDIT);
  });
});
