import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../support/temporary-directory.ts';
import {
  CERT_MANAGER_VALUES,
  EXISTING_SECRET_VALUES,
  FULLNAME,
  NAMESPACE,
  RELEASE,
  Rendered,
  SAMPLE_CA_BUNDLE,
  helmTemplate,
  ownedBy,
  type render,
  selects,
} from './chart.ts';
import { renderMatrix } from './render-matrix.ts';
import type { ValidatingWebhookConfiguration } from './k8s-types.ts';
import { handledResources } from '../../src/rules/table.ts';
import { SNAPSHOT_CRDS } from '../fixtures/snapshot-crds.ts';
import { CHART_GROUPS } from '../../testkit/api-groups.ts';
import { FakeApiServer, type ResourceRef } from '../../testkit/fake-api-server.ts';

/** What the rule table decides: the chart must send exactly that to the webhook. */
const HANDLED = handledResources()
  .filter(({ group }) => group !== '')
  .map(({ group, version, resource }) => `${group}/${version}/${resource}`);

/** Every group/version/resource the webhook's rules match. */
function matchedTriples(rendered: Rendered): Set<string> {
  return new Set(
    rendered.webhook.rules.flatMap((rule) =>
      rule.apiGroups.flatMap((group) =>
        rule.apiVersions.flatMap((version) => rule.resources.map((resource) => `${group}/${version}/${resource}`)),
      ),
    ),
  );
}

const modes = {
  selfManaged: {},
  certManager: CERT_MANAGER_VALUES,
  existingSecret: EXISTING_SECRET_VALUES,
};

describe('ValidatingWebhookConfiguration', () => {
  const get = renderMatrix({
    ...modes,
    custom: { webhook: { failurePolicy: 'Ignore', timeoutSeconds: 10 } },
    exemptions: {
      webhook: {
        objectSelector: { matchExpressions: [{ key: 'example.com/no-validation', operator: 'NotIn', values: ['true'] }] },
        matchConditions: [{ name: 'not-backup', expression: "request.userInfo.username != 'system:serviceaccount:backup:operator'" }],
        labels: { 'argocd.argoproj.io/instance': 'storage' },
      },
    },
    namespaceSelector: { webhook: { namespaceSelector: { matchLabels: { team: 'storage' } } } },
    annotations: { ...CERT_MANAGER_VALUES, webhook: { annotations: { 'example.com/owner': 'storage' } } },
    pvcOff: { pvcWebhook: { enabled: false } },
  });

  it('matches CREATE and UPDATE of exactly the six resources at exactly their versions', () => {
    const expected = HANDLED;
    for (const mode of Object.keys(modes)) {
      const rendered = get(mode);
      expect([...matchedTriples(rendered)].sort()).toEqual(expected.sort());
      for (const rule of rendered.webhook.rules) {
        expect([...rule.operations].sort()).toEqual(['CREATE', 'UPDATE']);
        expect(rule.resources.some((resource) => resource.includes('/') || resource === '*')).toBe(false);
      }
    }
  });

  it('covers every version the snapshot CRDs of each supported release serve', () => {
    const triples = matchedTriples(get('selfManaged'));
    const served = Object.values(SNAPSHOT_CRDS).flatMap((crds) =>
      crds.flatMap((crd) => crd.versions.map((version) => `${crd.group}/${version}/${crd.plural}`)),
    );
    expect(served.length).toBeGreaterThanOrEqual(6);
    expect(served.filter((triple) => !triples.has(triple))).toEqual([]);
  });

  it('sends PVC creations with a data source to a second webhook that fails open, unless turned off', () => {
    const pvc = get('selfManaged').pvcWebhook;
    expect(handledResources()).toContainEqual({ group: '', version: 'v1', resource: 'persistentvolumeclaims' });
    expect(pvc).toMatchObject({
      failurePolicy: 'Ignore',
      timeoutSeconds: 3,
      sideEffects: 'None',
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['persistentvolumeclaims'] }],
      matchConditions: [{ name: 'has-data-source', expression: 'has(object.spec.dataSource) || has(object.spec.dataSourceRef)' }],
    });
    expect(pvc?.clientConfig).toEqual(get('selfManaged').webhook.clientConfig);
    expect(get('pvcOff').pvcWebhook).toBeUndefined();
    expect(get('pvcOff').webhooks).toHaveLength(1);
  });

  it('declares no side effects, both review versions and equivalent matching', () => {
    const webhook = get('selfManaged').webhook;
    expect(webhook.name).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/);
    expect(webhook.sideEffects).toBe('None');
    expect(webhook.admissionReviewVersions).toEqual(['v1', 'v1beta1']);
    expect(webhook.matchPolicy).toBe('Equivalent');
  });

  it('fails closed after 3 s by default, and takes failurePolicy and timeoutSeconds from values', () => {
    expect(get('selfManaged').webhook).toMatchObject({ failurePolicy: 'Fail', timeoutSeconds: 3 });
    expect(get('custom').webhook).toMatchObject({ failurePolicy: 'Ignore', timeoutSeconds: 10 });
  });

  it('has no label or condition by default that an object owner could use to skip validation', () => {
    for (const mode of Object.keys(modes)) {
      for (const webhook of get(mode).webhooks) {
        // No objectSelector: every object is sent, whatever its labels.
        expect(webhook.objectSelector).toBeUndefined();
      }
      // The one built-in condition skips UPDATEs that leave spec alone: nothing an owner can set
      // (test/chart/match-conditions.test.ts evaluates it).
      expect(get(mode).webhook.matchConditions?.map((condition) => condition.name)).toEqual(['spec-changed']);
    }
  });

  it('takes exemptions from admins: an object selector, CEL conditions on both entries, labels for the configuration', () => {
    const rendered = get('exemptions');
    const condition = { name: 'not-backup', expression: "request.userInfo.username != 'system:serviceaccount:backup:operator'" };
    expect(rendered.webhook.matchConditions?.slice(1)).toEqual([condition]);
    expect(rendered.pvcWebhook?.matchConditions).toEqual([
      { name: 'has-data-source', expression: 'has(object.spec.dataSource) || has(object.spec.dataSourceRef)' },
      condition,
    ]);
    for (const webhook of rendered.webhooks) {
      expect(selects(webhook.objectSelector, { 'example.com/no-validation': 'true' })).toBe(false);
      expect(selects(webhook.objectSelector, {})).toBe(true);
    }
    const configuration = rendered.one<ValidatingWebhookConfiguration>('ValidatingWebhookConfiguration');
    expect(configuration.metadata.labels).toMatchObject({
      'argocd.argoproj.io/instance': 'storage',
      'app.kubernetes.io/name': 'snapshot-webhook',
    });
  });

  it('restricts namespaces only when asked', () => {
    expect(get('selfManaged').webhook.namespaceSelector).toBeUndefined();
    expect(get('namespaceSelector').webhook.namespaceSelector).toEqual({ matchLabels: { team: 'storage' } });
  });

  it('is a plain release resource: no hook keeps it around or recreates it', () => {
    for (const mode of Object.keys(modes)) {
      const configuration = get(mode).one<ValidatingWebhookConfiguration>('ValidatingWebhookConfiguration');
      expect(configuration.metadata.name).toBe(FULLNAME);
      const annotations = Object.keys(configuration.metadata.annotations ?? {});
      expect(annotations.filter((key) => key.startsWith('helm.sh/'))).toEqual([]);
    }
  });

  it('renders no caBundle in selfManaged and certManager modes (it is injected)', () => {
    expect(get('selfManaged').webhook.clientConfig.caBundle).toBeUndefined();
    expect(get('certManager').webhook.clientConfig.caBundle).toBeUndefined();
  });

  it('asks cert-manager to inject the CA of the rendered Certificate, and only in certManager mode', () => {
    const annotationOf = (name: string): string | undefined =>
      get(name).one<ValidatingWebhookConfiguration>('ValidatingWebhookConfiguration').metadata.annotations?.[
        'cert-manager.io/inject-ca-from'
      ];
    const [namespace, certificate] = (annotationOf('certManager') ?? '').split('/');
    expect(namespace).toBe(NAMESPACE);
    expect(get('certManager').one('Certificate', certificate).metadata.namespace).toBe(NAMESPACE);
    expect(annotationOf('selfManaged')).toBeUndefined();
    expect(annotationOf('existingSecret')).toBeUndefined();
    const annotated = get('annotations').one<ValidatingWebhookConfiguration>('ValidatingWebhookConfiguration');
    expect(annotated.metadata.annotations).toMatchObject({
      'example.com/owner': 'storage',
      'cert-manager.io/inject-ca-from': `${NAMESPACE}/${certificate}`,
    });
  });

  it('puts the given caBundle in existingSecret mode', () => {
    expect(get('existingSecret').webhook.clientConfig.caBundle).toBe(SAMPLE_CA_BUNDLE);
  });
});

const WEBHOOK_CONFIGURATIONS: ResourceRef = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'validatingwebhookconfigurations',
};
const LIVE_PATH = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${FULLNAME}`;

describe('caBundle across helm upgrade (lookup of the live configuration)', () => {
  let server: FakeApiServer;
  const inDirectory = temporaryDirectory('snapshot-webhook-kubeconfig-');
  let kubeconfig: string;
  const live = (caBundle: string): ValidatingWebhookConfiguration => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: FULLNAME, ...ownedBy(RELEASE, NAMESPACE) },
    webhooks: [
      { name: 'another.example.io', clientConfig: { caBundle: 'T1RIRVI=' } },
      { name: 'validate.snapshot-webhook.io', clientConfig: { caBundle } },
    ] as ValidatingWebhookConfiguration['webhooks'],
  });

  beforeAll(async () => {
    server = await FakeApiServer.start({ groups: CHART_GROUPS });
    server.createObject(WEBHOOK_CONFIGURATIONS, { ...live('SU5KRUNURUQ=') });
    kubeconfig = await server.writeKubeconfig(inDirectory('config'));
  });
  afterAll(async () => {
    await server.close();
  });

  const renderAgainstCluster = async (values: Parameters<typeof render>[0]): Promise<Rendered> => {
    const args = ['--dry-run=server', '--disable-openapi-validation', '--show-only', 'templates/validatingwebhookconfiguration.yaml'];
    const result = await helmTemplate(values, args, { kubeconfig });
    if (result.code !== 0) throw new Error(result.stderr);
    return new Rendered(result.stdout);
  };

  it('carries the injected caBundle of its own webhook over in selfManaged and certManager modes', async () => {
    const [selfManaged, certManager] = await Promise.all([renderAgainstCluster({}), renderAgainstCluster(CERT_MANAGER_VALUES)]);
    expect(server.requestsTo(LIVE_PATH).map((request) => request.status)).toContain(200);
    expect(selfManaged.webhook.clientConfig.caBundle).toBe('SU5KRUNURUQ=');
    expect(certManager.webhook.clientConfig.caBundle).toBe('SU5KRUNURUQ=');
  });

  it('uses the configured caBundle, not the live one, in existingSecret mode', async () => {
    const rendered = await renderAgainstCluster(EXISTING_SECRET_VALUES);
    expect(rendered.webhook.clientConfig.caBundle).toBe(SAMPLE_CA_BUNDLE);
  });
});
