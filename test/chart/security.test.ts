import { beforeAll, describe, expect, it } from 'vitest';
import { CERT_MANAGER_VALUES, EXISTING_SECRET_VALUES, allPodSpecs, render, type Rendered } from './chart.ts';
import type { Container, PodSpec, SecurityContext } from './k8s-types.ts';

type Check<T> = [string, (subject: T) => boolean];

/** Pod-level checks of the "restricted" Pod Security Standard (each names what it forbids). */
const POD_CHECKS: Check<PodSpec>[] = [
  ['host namespaces', (spec) => spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true],
  ['hostPath volume', (spec) => (spec.volumes ?? []).some((volume) => volume.hostPath !== undefined)],
  ['pod seccompProfile', (spec) => spec.securityContext?.seccompProfile?.type !== 'RuntimeDefault'],
  ['pod runAsUser 0', (spec) => spec.securityContext?.runAsUser === 0],
];

/** Container-level checks; pod-level settings count where the container inherits them. */
const CONTAINER_CHECKS: Check<{ container: Container; pod: SecurityContext }>[] = [
  ['allowPrivilegeEscalation', ({ container }) => container.securityContext?.allowPrivilegeEscalation !== false],
  ['privileged', ({ container }) => container.securityContext?.privileged === true],
  ['readOnlyRootFilesystem', ({ container }) => container.securityContext?.readOnlyRootFilesystem !== true],
  ['capabilities not dropped', ({ container }) => !(container.securityContext?.capabilities?.drop ?? []).includes('ALL')],
  ['capabilities added', ({ container }) => (container.securityContext?.capabilities?.add ?? []).length > 0],
  ['runAsNonRoot', ({ container, pod }) => (container.securityContext?.runAsNonRoot ?? pod.runAsNonRoot) !== true],
  ['runAsUser 0', ({ container, pod }) => (container.securityContext?.runAsUser ?? pod.runAsUser) === 0],
  [
    'seccompProfile',
    ({ container, pod }) =>
      !['RuntimeDefault', 'Localhost'].includes(container.securityContext?.seccompProfile?.type ?? pod.seccompProfile?.type ?? ''),
  ],
];

/** The "restricted" Pod Security Standard, as the pod security admission checks it. */
function restrictedViolations(spec: PodSpec): string[] {
  const pod = spec.securityContext ?? {};
  const containers: Container[] = [...spec.containers, ...(spec.initContainers ?? [])];
  return [
    ...POD_CHECKS.filter(([, violated]) => violated(spec)).map(([problem]) => problem),
    ...containers.flatMap((container) =>
      CONTAINER_CHECKS.filter(([, violated]) => violated({ container, pod })).map(([problem]) => `container ${container.name}: ${problem}`),
    ),
  ];
}

describe('pod security', () => {
  const renders: Rendered[] = [];

  beforeAll(async () => {
    renders.push(
      ...(await Promise.all([render(), render(CERT_MANAGER_VALUES), render({ ...EXISTING_SECRET_VALUES, audit: { enabled: true } })])),
    );
  });

  it('meets the restricted Pod Security Standard in every pod the chart renders, helm test and audit pods included', () => {
    const owners: string[] = [];
    for (const rendered of renders) {
      for (const { owner, spec } of allPodSpecs(rendered)) {
        owners.push(owner);
        expect(restrictedViolations(spec), owner).toEqual([]);
      }
    }
    // Per render: the test pod that calls the Service and the install check's test pod (and its Job).
    expect(owners.filter((owner) => owner.startsWith('Pod/'))).toHaveLength(2 * renders.length);
    expect(owners.filter((owner) => owner.startsWith('Job/'))).toHaveLength(renders.length);
    expect(owners.filter((owner) => owner.startsWith('CronJob/'))).toHaveLength(1);
  });

  it('runs as the image user 1000, with a writable emptyDir only at /tmp', () => {
    const { deployment, container } = renders[0] as Rendered;
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
    const volume = deployment.spec.template.spec.volumes?.find((candidate) => candidate.name === tmp?.name);
    expect(volume?.emptyDir).toBeDefined();
    expect(container.volumeMounts?.filter((mount) => mount.readOnly !== true).map((mount) => mount.mountPath)).toEqual(['/tmp']);
  });

  it('the rule check itself catches a privileged container', () => {
    const { spec } = allPodSpecs(renders[0] as Rendered)[0] ?? { spec: undefined };
    if (!spec) throw new Error('no pod spec');
    const [first, ...rest] = spec.containers;
    if (!first) throw new Error('no container');
    const loosened: PodSpec = {
      ...spec,
      containers: [{ ...first, securityContext: { ...first.securityContext, allowPrivilegeEscalation: true } }, ...rest],
    };
    expect(restrictedViolations(loosened)).toEqual(['container webhook: allowPrivilegeEscalation']);
  });
});
