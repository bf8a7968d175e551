import { SNAPSHOT_CRDS } from '../test/fixtures/snapshot-crds.ts';
import type { CrdFacts, CrdRelease } from '../test/fixtures/snapshot-crds.ts';
import type { GroupDefinition, ResourceDefinition, ResourceRef } from './fake-api-store.ts';

export type { CrdRelease } from '../test/fixtures/snapshot-crds.ts';

export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
export const GROUP_SNAPSHOT_GROUP = 'groupsnapshot.storage.k8s.io';

export const SNAPSHOT_CLASSES: ResourceRef = { group: SNAPSHOT_GROUP, version: 'v1', plural: 'volumesnapshotclasses' };

export function groupSnapshotClasses(version: string): ResourceRef {
  return { group: GROUP_SNAPSHOT_GROUP, version, plural: 'volumegroupsnapshotclasses' };
}

/** The core group, with what the webhook's certificate handling reads and writes. */
export const CORE_GROUP: GroupDefinition = {
  name: '',
  versions: ['v1'],
  resources: [
    { plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true },
    { plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'] },
  ],
};

export const ADMISSION_REGISTRATION_GROUP: GroupDefinition = {
  name: 'admissionregistration.k8s.io',
  versions: ['v1'],
  resources: [
    {
      plural: 'validatingwebhookconfigurations',
      singular: 'validatingwebhookconfiguration',
      kind: 'ValidatingWebhookConfiguration',
      namespaced: false,
    },
  ],
};

function resource(plural: string, kind: string, namespaced: boolean, shortNames: readonly string[] = []): ResourceDefinition {
  return { plural, singular: kind.toLowerCase(), kind, namespaced, shortNames };
}

/**
 * What a cluster serves for every kind the Helm chart renders (with cert-manager installed):
 * helm maps each rendered object through discovery before a `--dry-run=server`.
 */
export const CHART_GROUPS: readonly GroupDefinition[] = [
  {
    ...CORE_GROUP,
    resources: [
      ...CORE_GROUP.resources,
      resource('serviceaccounts', 'ServiceAccount', true, ['sa']),
      resource('services', 'Service', true, ['svc']),
      resource('pods', 'Pod', true, ['po']),
    ],
  },
  { name: 'apps', versions: ['v1'], resources: [resource('deployments', 'Deployment', true, ['deploy'])] },
  { name: 'policy', versions: ['v1'], resources: [resource('poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb'])] },
  {
    name: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    resources: [
      resource('clusterroles', 'ClusterRole', false),
      resource('clusterrolebindings', 'ClusterRoleBinding', false),
      resource('roles', 'Role', true),
      resource('rolebindings', 'RoleBinding', true),
    ],
  },
  ADMISSION_REGISTRATION_GROUP,
  {
    name: 'cert-manager.io',
    versions: ['v1'],
    resources: [resource('certificates', 'Certificate', true, ['cert', 'certs']), resource('issuers', 'Issuer', true)],
  },
];

/** The API groups a cluster serves once the CRDs of an external-snapshotter release are installed. */
export function groupsFromCrds(release: CrdRelease): GroupDefinition[] {
  const byGroup = Map.groupBy(SNAPSHOT_CRDS[release], (crd) => crd.group);
  return [...byGroup].map(([name, members]) => {
    const resources = members.map(resourceOf);
    const versions = [...new Set(resources.flatMap((resource) => resource.versions ?? []))].sort(byPriority);
    return { name, versions, resources };
  });
}

/** One group of a release, e.g. the group snapshots alone. */
export function groupFromCrds(release: CrdRelease, name: string): GroupDefinition {
  const group = groupsFromCrds(release).find((candidate) => candidate.name === name);
  if (group === undefined) {
    throw new Error(`no CRD of group ${name} in release ${release}`);
  }
  return group;
}

function resourceOf(crd: CrdFacts): ResourceDefinition {
  return {
    plural: crd.plural,
    singular: crd.kind.toLowerCase(),
    kind: crd.kind,
    namespaced: crd.namespaced,
    shortNames: [...crd.shortNames],
    versions: [...crd.versions],
    subresources: crd.status ? ['status'] : [],
  };
}

/** Kubernetes' version priority: GA before beta before alpha, higher numbers first. */
function byPriority(a: string, b: string): number {
  return rank(b) - rank(a);
}

function rank(version: string): number {
  const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
  if (match === null) {
    return 0;
  }
  const stability = match[2] === undefined ? 3 : match[2] === 'beta' ? 2 : 1;
  return Number(match[1]) * 10_000 + stability * 1_000 + Number(match[3] ?? 0);
}
