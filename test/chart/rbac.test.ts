import { describe, expect, it } from 'vitest';
import { CERT_MANAGER_VALUES, EXISTING_SECRET_VALUES, FULLNAME, NAMESPACE, flag, grants, type Values } from './chart.ts';
import { renderMatrix } from './render-matrix.ts';
import type { Role, RoleBinding } from './k8s-types.ts';

const CLASS_READS = [
  'groupsnapshot.storage.k8s.io volumegroupsnapshotclasses *any* list',
  'groupsnapshot.storage.k8s.io volumegroupsnapshotclasses *any* watch',
  'snapshot.storage.k8s.io volumesnapshotclasses *any* list',
  'snapshot.storage.k8s.io volumesnapshotclasses *any* watch',
];

/** The single reads behind the restore and clone rules, only while their webhook is on. */
const LOOKUP_READS = [
  'core persistentvolumeclaims *any* get',
  'core persistentvolumes *any* get',
  'snapshot.storage.k8s.io volumesnapshotclasses *any* get',
  'snapshot.storage.k8s.io volumesnapshotcontents *any* get',
  'snapshot.storage.k8s.io volumesnapshots *any* get',
  'storage.k8s.io storageclasses *any* get',
];

describe('RBAC', () => {
  const matrix: Record<string, Values> = {
    selfManaged: {},
    secretName: { certificates: { selfManaged: { secretName: 'webhook-certs' } } },
    certManager: CERT_MANAGER_VALUES,
    existingSecret: EXISTING_SECRET_VALUES,
    pvcOff: { ...EXISTING_SECRET_VALUES, pvcWebhook: { enabled: false } },
  };
  const get = renderMatrix(matrix);

  it('selfManaged: classes read cluster-wide, its own configuration and its own Secret by name, plus create on Secrets', () => {
    const rendered = get('selfManaged');
    const configuration = flag(rendered.container.args, 'webhook-configuration');
    const secret = flag(rendered.container.args, 'tls-secret')?.split('/')[1];
    expect(configuration).toBe(FULLNAME);
    expect(grants(rendered.one<Role>('ClusterRole').rules)).toEqual(
      [
        ...CLASS_READS,
        ...LOOKUP_READS,
        `admissionregistration.k8s.io validatingwebhookconfigurations ${configuration} get`,
        `admissionregistration.k8s.io validatingwebhookconfigurations ${configuration} update`,
      ].sort(),
    );
    const role = rendered.one<Role>('Role', FULLNAME);
    expect(role.metadata.namespace).toBe(NAMESPACE);
    expect(grants(role.rules)).toEqual(['core secrets *any* create', `core secrets ${secret} get`, `core secrets ${secret} update`].sort());
  });

  it('selfManaged: follows a custom Secret name', () => {
    const rendered = get('secretName');
    expect(flag(rendered.container.args, 'tls-secret')).toBe(`${NAMESPACE}/webhook-certs`);
    expect(grants(rendered.one<Role>('Role', FULLNAME).rules)).toContain('core secrets webhook-certs get');
  });

  it.each(['certManager', 'existingSecret'])(
    '%s: only reads the classes and the restore sources; no Secret or configuration rights',
    (mode) => {
      const rendered = get(mode);
      expect(grants(rendered.one<Role>('ClusterRole').rules)).toEqual([...CLASS_READS, ...LOOKUP_READS].sort());
      expect(rendered.own('Role')).toEqual([]);
      expect(rendered.own('RoleBinding')).toEqual([]);
    },
  );

  it('drops the single reads when the PVC webhook is off', () => {
    expect(grants(get('pvcOff').one<Role>('ClusterRole').rules)).toEqual(CLASS_READS);
  });

  it('binds each role to the Deployment’s ServiceAccount and nothing else', () => {
    for (const mode of Object.keys(matrix)) {
      const rendered = get(mode);
      const account = rendered.deployment.spec.template.spec.serviceAccountName;
      const bindings = [...rendered.own<RoleBinding>('ClusterRoleBinding'), ...rendered.own<RoleBinding>('RoleBinding')];
      expect(bindings.length).toBe(mode === 'selfManaged' || mode === 'secretName' ? 2 : 1);
      for (const binding of bindings) {
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account, namespace: NAMESPACE }]);
        const roleKind = binding.kind === 'ClusterRoleBinding' ? 'ClusterRole' : 'Role';
        expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: FULLNAME });
      }
    }
  });

  it('grants no wildcard anywhere', () => {
    for (const mode of Object.keys(matrix)) {
      const rules = [...get(mode).all<Role>('ClusterRole'), ...get(mode).all<Role>('Role')].flatMap((role) => role.rules);
      const words = rules.flatMap((rule) => [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]);
      expect(words.filter((word) => word.includes('*'))).toEqual([]);
    }
  });
});
