/**
 * The bench measures what it thinks it measures: every review it sends gets, from the real app
 * with the bench's classes in its caches, a 200 and the answer the bench expects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LARGE_OBJECT_BYTES, scenarios } from '../../bench/reviews.ts';
import { groupSnapshotClasses, snapshotClasses } from '../../testkit/class-cluster.ts';
import { ClassIndex } from '../../src/cluster/class-index.ts';
import { GROUP_SNAPSHOT_DEFAULT_ANNOTATION, SNAPSHOT_DEFAULT_ANNOTATION } from '../../src/rules/snapshot-api.ts';
import type { ClusterView } from '../../src/rules/class-view.ts';
import type { KubeObject } from '../../src/rules/types.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

function indexOf(annotation: string, classes: readonly KubeObject[]): ClassIndex {
  const index = new ClassIndex(annotation);
  for (const object of classes) index.upsert(object);
  return index;
}

const cluster: ClusterView = {
  snapshotClasses: indexOf(SNAPSHOT_DEFAULT_ANNOTATION, snapshotClasses(100)),
  groupSnapshotClasses: indexOf(GROUP_SNAPSHOT_DEFAULT_ANNOTATION, groupSnapshotClasses()),
};

interface Answer {
  readonly apiVersion: string;
  readonly response: { readonly uid: string; readonly allowed: boolean; readonly warnings?: string[] };
}

describe('bench scenarios', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ cluster });
  });
  afterAll(async () => {
    await testApp.app.close();
  });

  const cases = scenarios().flatMap((scenario) => scenario.reviews.map((review) => ({ scenario: scenario.name, review })));

  it.each(cases)('$scenario: $review.title is $review.expect', async ({ review }) => {
    const sent = JSON.parse(review.body) as { apiVersion: string; request: { uid: string } };
    const reply = await testApp.app.inject({
      method: 'POST',
      url: '/validate?timeout=3s',
      headers: { 'content-type': 'application/json' },
      payload: review.body,
    });
    expect(reply.statusCode).toBe(200);
    const answer = reply.json<Answer>();
    expect(answer.apiVersion).toBe(sent.apiVersion);
    expect(answer.response.uid).toBe(sent.request.uid);
    expect(answer.response.allowed).toBe(review.expect === 'allowed');
    // Allowed reviews get no warning either: the classes they name exist in the bench's cluster.
    expect(answer.response.warnings).toBeUndefined();
  });

  it('the large review is at least 1 MiB and the mix covers the five small reviews', () => {
    const all = scenarios();
    const large = all.find((scenario) => scenario.name === 'large-1mib');
    expect(large?.reviews[0]?.body.length).toBeGreaterThanOrEqual(LARGE_OBJECT_BYTES);
    const mix = all.find((scenario) => scenario.name === 'mix');
    expect(new Set(mix?.reviews.map((review) => review.title)).size).toBe(5);
    expect(mix?.reviews.some((review) => review.expect === 'denied')).toBe(true);
  });

  it('the class fixtures hold one default per driver', () => {
    const index = indexOf(SNAPSHOT_DEFAULT_ANNOTATION, snapshotClasses(10_000));
    expect(index.size()).toBe(10_000);
    expect(index.defaultsFor('hostpath.csi.k8s.io')).toEqual(['csi-hostpath-snapclass']);
    expect(index.defaultsFor('bench-7.csi.example.com')).toHaveLength(1);
  });
});
