import { describe, expect, it } from 'vitest';
import { DefaultClaims } from '../../src/admission/default-claims.ts';
import type { AdmissionRequest } from '../../src/admission/review.ts';
import { SNAPSHOT_DEFAULT_ANNOTATION } from '../../src/rules/snapshot-api.ts';
import { clusterOf } from '../support/rules.ts';

function classWrite(name: string, driver: string, options: { dryRun?: boolean; value?: string } = {}): AdmissionRequest {
  return {
    uid: 'u',
    kind: { group: 'snapshot.storage.k8s.io', version: 'v1', kind: 'VolumeSnapshotClass' },
    resource: { group: 'snapshot.storage.k8s.io', version: 'v1', resource: 'volumesnapshotclasses' },
    operation: 'CREATE',
    dryRun: options.dryRun ?? false,
    object: { metadata: { name, annotations: { [SNAPSHOT_DEFAULT_ANNOTATION]: options.value ?? 'true' } }, driver },
  };
}

describe('DefaultClaims', () => {
  it('counts an allowed default as the default of its driver until it expires', () => {
    let now = 1_000;
    const claims = new DefaultClaims(30_000, () => now);
    const cluster = clusterOf();
    claims.recordAllowed(classWrite('a', 'd1'));
    expect(claims.overlay(cluster).snapshotClasses?.defaultsFor('d1')).toEqual(['a']);
    expect(claims.overlay(cluster).snapshotClasses?.defaultsFor('d2')).toEqual([]);
    now += 30_000;
    expect(claims.overlay(cluster)).toBe(cluster);
  });

  it('lets the cache decide once the watch shows the class', () => {
    const claims = new DefaultClaims();
    claims.recordAllowed(classWrite('a', 'd1'));
    const shown = clusterOf({ snapshotClasses: [{ name: 'a', driver: 'd1' }] });
    expect(claims.overlay(shown).snapshotClasses?.defaultsFor('d1')).toEqual([]);
    expect(claims.overlay(clusterOf()).snapshotClasses?.defaultsFor('d1')).toEqual([]);
  });

  it('ignores dry runs, classes that are not defaults, and a cluster without class caches', () => {
    const claims = new DefaultClaims();
    claims.recordAllowed(classWrite('a', 'd1', { dryRun: true }));
    claims.recordAllowed(classWrite('b', 'd1', { value: 'True' }));
    const cluster = clusterOf();
    expect(claims.overlay(cluster)).toBe(cluster);
    claims.recordAllowed(classWrite('c', 'd1'));
    const none = clusterOf({ snapshotClasses: null, groupSnapshotClasses: null });
    expect(claims.overlay(none).snapshotClasses).toBeNull();
  });
});
