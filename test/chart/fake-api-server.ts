/**
 * Just enough of a Kubernetes API server for `helm template --dry-run=server`: version,
 * legacy discovery for the kinds the chart renders, 404 for objects that do not exist, and the
 * objects a test puts in. Lets a test see what the chart's `lookup` does against a live object.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** groupVersion -> [plural, kind, namespaced] */
const RESOURCES: Record<string, [string, string, boolean][]> = {
  v1: [
    ['secrets', 'Secret', true],
    ['serviceaccounts', 'ServiceAccount', true],
    ['services', 'Service', true],
    ['pods', 'Pod', true],
  ],
  'apps/v1': [['deployments', 'Deployment', true]],
  'policy/v1': [['poddisruptionbudgets', 'PodDisruptionBudget', true]],
  'rbac.authorization.k8s.io/v1': [
    ['clusterroles', 'ClusterRole', false],
    ['clusterrolebindings', 'ClusterRoleBinding', false],
    ['roles', 'Role', true],
    ['rolebindings', 'RoleBinding', true],
  ],
  'admissionregistration.k8s.io/v1': [['validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false]],
  'cert-manager.io/v1': [
    ['certificates', 'Certificate', true],
    ['issuers', 'Issuer', true],
  ],
};

function discovery(): Map<string, unknown> {
  const routes = new Map<string, unknown>();
  routes.set('/version', { major: '1', minor: '35', gitVersion: 'v1.35.0', platform: 'linux/amd64' });
  routes.set('/api', { kind: 'APIVersions', versions: ['v1'] });
  const groups = Object.keys(RESOURCES)
    .filter((groupVersion) => groupVersion.includes('/'))
    .map((groupVersion) => {
      const [name = '', version = ''] = groupVersion.split('/');
      const entry = { groupVersion, version };
      return { name, versions: [entry], preferredVersion: entry };
    });
  routes.set('/apis', { kind: 'APIGroupList', apiVersion: 'v1', groups });
  for (const [groupVersion, list] of Object.entries(RESOURCES)) {
    const path = groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`;
    const resources = list.map(([name, kind, namespaced]) => ({ name, singularName: '', namespaced, kind, verbs: ['get'] }));
    routes.set(path, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources });
  }
  return routes;
}

export interface FakeApiServer {
  readonly kubeconfig: string;
  /** Paths of the GET requests received (without query). */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Serves `objects` (API path -> object) besides discovery. */
export async function startFakeApiServer(objects: Record<string, unknown>): Promise<FakeApiServer> {
  const routes = discovery();
  for (const [path, object] of Object.entries(objects)) routes.set(path, object);
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    requests.push(path);
    const body = routes.get(path);
    response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const directory = await mkdtemp(join(tmpdir(), 'snapshot-webhook-kubeconfig-'));
  const kubeconfig = join(directory, 'config');
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}` } }],
      users: [{ name: 'fake', user: { token: 'fake' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
      'current-context': 'fake',
    }),
  );
  return {
    kubeconfig,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Ownership metadata that lets a (dry-run) install adopt an existing object. */
export function ownedBy(release: string, namespace: string): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: { 'app.kubernetes.io/managed-by': 'Helm' },
    annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace },
  };
}
