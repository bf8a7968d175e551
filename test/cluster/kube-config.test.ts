import { writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../support/temporary-directory.ts';
import { discoverServedVersion, SNAPSHOT_CLASSES as SNAPSHOT_TARGET } from '../../src/cluster/discovery.ts';
import { loadKubeConfig } from '../../src/cluster/kube-config.ts';
import { WebhookError } from '../../src/errors.ts';
import { groupsFromCrds } from '../../testkit/api-groups.ts';
import { FakeApiServer } from '../../testkit/fake-api-server.ts';

const inDirectory = temporaryDirectory('kube-config-');
let server: FakeApiServer;
const savedEnvironment = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };

beforeAll(async () => {
  server = await FakeApiServer.start({ groups: groupsFromCrds('v8.6.0') });
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  restore('KUBERNETES_SERVICE_HOST', savedEnvironment.host);
  restore('KUBERNETES_SERVICE_PORT', savedEnvironment.port);
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) {
    delete process.env[name];
  } else {
    process.env[name] = value;
  }
}

function configError(action: () => unknown): WebhookError {
  try {
    action();
  } catch (error) {
    if (error instanceof WebhookError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected loadKubeConfig to throw');
}

describe('loadKubeConfig', () => {
  it('loads a kubeconfig file that reaches the cluster it names (CA, token)', async () => {
    const path = await server.writeKubeconfig(inDirectory('good.yaml'));
    const kubeConfig = loadKubeConfig({ kubeconfigPath: path });

    expect(kubeConfig?.getCurrentCluster()?.server).toBe(server.url);
    expect(await discoverServedVersion(kubeConfig!, SNAPSHOT_TARGET)).toEqual({ kind: 'served', version: 'v1' });
  });

  it('prefers the given file over the in-cluster service account', async () => {
    process.env.KUBERNETES_SERVICE_HOST = '10.0.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';
    const path = await server.writeKubeconfig(inDirectory('preferred.yaml'));

    expect(loadKubeConfig({ kubeconfigPath: path })?.getCurrentCluster()?.server).toBe(server.url);
  });

  it('uses the in-cluster service account when KUBERNETES_SERVICE_HOST is set', () => {
    process.env.KUBERNETES_SERVICE_HOST = '10.96.0.1';
    process.env.KUBERNETES_SERVICE_PORT = '443';

    expect(loadKubeConfig({})?.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
  });

  it('answers null without a file and outside a cluster: no cluster, no cluster rules', () => {
    delete process.env.KUBERNETES_SERVICE_HOST;

    expect(loadKubeConfig({})).toBeNull();
    expect(loadKubeConfig({ kubeconfigPath: '' })).toBeNull();
  });

  it('fails naming the file when it does not exist', () => {
    const path = inDirectory('missing.yaml');
    const error = configError(() => loadKubeConfig({ kubeconfigPath: path }));

    expect(error.code).toBe('SVW_ERR_CONFIG_INVALID');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/ENOENT|no such file/);
  });

  it('fails naming the file when it is not YAML', async () => {
    const path = inDirectory('broken.yaml');
    await writeFile(path, 'clusters: [unclosed\n  - {');

    expect(configError(() => loadKubeConfig({ kubeconfigPath: path })).message).toContain(path);
  });

  it('fails naming the file when it has no usable current context', async () => {
    const noContext = inDirectory('no-context.yaml');
    await writeFile(noContext, 'apiVersion: v1\nkind: Config\nclusters: []\n');
    const danglingContext = inDirectory('dangling.yaml');
    await writeFile(danglingContext, 'apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n');

    expect(configError(() => loadKubeConfig({ kubeconfigPath: noContext })).message).toMatch(
      new RegExp(`${noContext}.*no current-context`),
    );
    expect(configError(() => loadKubeConfig({ kubeconfigPath: danglingContext })).message).toMatch(
      new RegExp(`${danglingContext}.*"nowhere" names no usable cluster`),
    );
  });
});
