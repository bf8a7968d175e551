import { afterAll, describe, expect, it } from 'vitest';
import { ApiStatusError } from '../../src/cluster/api-request.ts';
import { listInPages } from '../../src/cluster/paged-list.ts';
import { SNAPSHOT_CLASSES, groupsFromCrds } from '../../testkit/api-groups.ts';
import { volumeSnapshotClass } from '../../testkit/class-fixtures.ts';
import { FakeApiServer } from '../../testkit/fake-api-server.ts';

const api = await FakeApiServer.start({ groups: groupsFromCrds('v8.6.0') });
afterAll(() => api.close());
const PATH = '/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses';

describe('listInPages', () => {
  it('hands over every page as it comes, following continue tokens, and ends with the resourceVersion', async () => {
    for (let index = 0; index < 5; index += 1)
      api.createObject(SNAPSHOT_CLASSES, volumeSnapshotClass(`class-${index}`, 'd.csi.example.com'));
    const pages: number[] = [];
    const before = api.requests.length;
    const listed = await listInPages(api.kubeConfig(), PATH, { pageSize: 2, timeoutMs: 5000 }, (items) => pages.push(items.length));
    expect(pages).toEqual([2, 2, 1]);
    expect(listed).toEqual({ end: 'listed', resourceVersion: expect.stringMatching(/^\d+$/) as unknown });
    const requests = api.requests.slice(before);
    expect(requests.map((request) => request.query.limit)).toEqual(['2', '2', '2']);
    expect(requests[0]?.query.continue).toBeUndefined();
    expect(requests[1]?.query.continue).toBeDefined();
  });

  it('ends as gone on a 404, and throws an ApiStatusError on any other failure', async () => {
    expect(
      await listInPages(
        api.kubeConfig(),
        '/apis/snapshot.storage.k8s.io/v1/nothinghere',
        { pageSize: 2, timeoutMs: 5000 },
        () => undefined,
      ),
    ).toEqual({ end: 'gone' });
    const stranger = api.kubeConfig();
    stranger.users.forEach((user) => Object.assign(user, { token: 'wrong' }));
    await expect(listInPages(stranger, PATH, { pageSize: 2, timeoutMs: 5000 }, () => undefined)).rejects.toBeInstanceOf(ApiStatusError);
  });
});
