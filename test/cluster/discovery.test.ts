import { afterEach, describe, expect, it } from 'vitest';
import { ApiStatusError } from '../../src/cluster/api-request.ts';
import { discoverServedVersion, GROUP_SNAPSHOT_CLASSES, SNAPSHOT_CLASSES } from '../../src/cluster/discovery.ts';
import { GROUP_SNAPSHOT_GROUP, groupFromCrds, SNAPSHOT_GROUP } from '../../testkit/api-groups.ts';
import { FakeApiServer } from '../../testkit/fake-api-server.ts';
import type { GroupDefinition } from '../../testkit/fake-api-server.ts';

let server: FakeApiServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serving(...groups: GroupDefinition[]): Promise<FakeApiServer> {
  server = await FakeApiServer.start({ groups });
  return server;
}

const CLASSES = {
  plural: 'volumegroupsnapshotclasses',
  singular: 'volumegroupsnapshotclass',
  kind: 'VolumeGroupSnapshotClass',
  namespaced: false,
};
const CONTENTS = {
  plural: 'volumegroupsnapshotcontents',
  singular: 'volumegroupsnapshotcontent',
  kind: 'VolumeGroupSnapshotContent',
  namespaced: false,
};

describe('discoverServedVersion', () => {
  it('picks v1 from the current CRDs (v1, v1beta2, v1beta1 served)', async () => {
    const api = await serving(groupFromCrds('v8.6.0', GROUP_SNAPSHOT_GROUP));

    expect(await discoverServedVersion(api.kubeConfig(), GROUP_SNAPSHOT_CLASSES)).toEqual({ kind: 'served', version: 'v1' });
    expect(api.requests.map((request) => request.path)).toEqual([
      '/apis/groupsnapshot.storage.k8s.io',
      '/apis/groupsnapshot.storage.k8s.io/v1',
    ]);
  });

  it('picks v1alpha1 from the v7 CRDs', async () => {
    const api = await serving(groupFromCrds('v7.0.2', GROUP_SNAPSHOT_GROUP));

    expect(await discoverServedVersion(api.kubeConfig(), GROUP_SNAPSHOT_CLASSES)).toEqual({ kind: 'served', version: 'v1alpha1' });
  });

  it('finds the snapshot classes at v1', async () => {
    const api = await serving(groupFromCrds('v8.6.0', SNAPSHOT_GROUP));

    expect(await discoverServedVersion(api.kubeConfig(), SNAPSHOT_CLASSES)).toEqual({ kind: 'served', version: 'v1' });
  });

  it('answers absent when the group is not installed (404 page not found)', async () => {
    const api = await serving(groupFromCrds('v8.6.0', SNAPSHOT_GROUP));

    expect(await discoverServedVersion(api.kubeConfig(), GROUP_SNAPSHOT_CLASSES)).toEqual({ kind: 'absent' });
    expect(api.requests.map((request) => [request.path, request.status])).toEqual([['/apis/groupsnapshot.storage.k8s.io', 404]]);
  });

  it('skips a newer version that lacks the classes, and versions it does not know', async () => {
    const api = await serving({
      name: GROUP_SNAPSHOT_GROUP,
      versions: ['v2', 'v1', 'v1beta2'],
      resources: [
        { ...CONTENTS, versions: ['v2', 'v1', 'v1beta2'] },
        { ...CLASSES, versions: ['v2', 'v1beta2'] },
      ],
    });

    expect(await discoverServedVersion(api.kubeConfig(), GROUP_SNAPSHOT_CLASSES)).toEqual({ kind: 'served', version: 'v1beta2' });
  });

  it('answers absent when the group serves no version with the classes', async () => {
    const api = await serving({ name: GROUP_SNAPSHOT_GROUP, versions: ['v1'], resources: [CONTENTS] });

    expect(await discoverServedVersion(api.kubeConfig(), GROUP_SNAPSHOT_CLASSES)).toEqual({ kind: 'absent' });
  });

  it('throws, rather than answering absent, when the API server refuses the request', async () => {
    const api = await serving(groupFromCrds('v8.6.0', GROUP_SNAPSHOT_GROUP));
    const kubeConfig = api.kubeConfig();
    const user = kubeConfig.getCurrentUser();
    if (user === null) {
      throw new Error('the fake kubeconfig has a user');
    }
    Object.assign(user, { token: 'wrong-token' });

    const failure = discoverServedVersion(kubeConfig, GROUP_SNAPSHOT_CLASSES);
    await expect(failure).rejects.toBeInstanceOf(ApiStatusError);
    await expect(failure).rejects.toThrow('GET /apis/groupsnapshot.storage.k8s.io answered 401: Unauthorized');
  });

  it('throws when the API server cannot be reached', async () => {
    const api = await serving(groupFromCrds('v8.6.0', GROUP_SNAPSHOT_GROUP));
    await api.setUnreachable(true);

    await expect(discoverServedVersion(api.kubeConfig(), GROUP_SNAPSHOT_CLASSES)).rejects.toThrow();
  });
});
