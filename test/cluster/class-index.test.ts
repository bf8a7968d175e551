import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ClassIndex } from '../../src/cluster/class-index.ts';
import { GROUP_SNAPSHOT_DEFAULT_ANNOTATION, SNAPSHOT_DEFAULT_ANNOTATION } from '../../src/rules/snapshot-api.ts';
import type { ClassObject } from '../../src/cluster/class-index.ts';

function snapshotClass(name: string, driver: string, isDefault: string | undefined = undefined): ClassObject {
  const annotations: Record<string, string> = isDefault === undefined ? {} : { [SNAPSHOT_DEFAULT_ANNOTATION]: isDefault };
  return { metadata: { name, annotations }, driver };
}

/** Heap in use after a full collection, so that garbage does not count as retained. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

describe('ClassIndex', () => {
  it('answers the default classes of a driver, and only of that driver', () => {
    const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
    index.upsert(snapshotClass('fast', 'ebs.csi.aws.com', 'true'));
    index.upsert(snapshotClass('slow', 'ebs.csi.aws.com'));
    index.upsert(snapshotClass('nfs', 'nfs.csi.k8s.io'));

    expect(index.defaultsFor('ebs.csi.aws.com')).toEqual(['fast']);
    expect(index.defaultsFor('nfs.csi.k8s.io')).toEqual([]);
    expect(index.defaultsFor('unknown.csi')).toEqual([]);
    expect(index.hasAnyDefault()).toBe(true);
    expect(index.size()).toBe(3);
    expect(index.get('slow')).toEqual({ name: 'slow', driver: 'ebs.csi.aws.com', isDefault: false });
    expect(index.get('missing')).toBeUndefined();
  });

  it('moves a default class with its driver when an update changes the driver', () => {
    const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
    index.upsert(snapshotClass('moving', 'a.csi', 'true'));
    index.upsert(snapshotClass('moving', 'b.csi', 'true'));

    expect(index.defaultsFor('a.csi')).toEqual([]);
    expect(index.defaultsFor('b.csi')).toEqual(['moving']);
    expect(index.size()).toBe(1);
  });

  it('stops counting a class as default when the annotation is removed', () => {
    const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
    index.upsert(snapshotClass('c', 'a.csi', 'true'));
    index.upsert(snapshotClass('c', 'a.csi'));

    expect(index.defaultsFor('a.csi')).toEqual([]);
    expect(index.hasAnyDefault()).toBe(false);
  });

  it.each(['True', 'TRUE', 'yes', '1', ' true', ''])('does not take annotation value %j for a default', (value) => {
    const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
    index.upsert(snapshotClass('c', 'a.csi', value));

    expect(index.get('c')?.isDefault).toBe(false);
    expect(index.hasAnyDefault()).toBe(false);
  });

  it('reads only its own annotation key', () => {
    const groupIndex = new ClassIndex(GROUP_SNAPSHOT_DEFAULT_ANNOTATION);
    groupIndex.upsert(snapshotClass('snapshot-annotated', 'a.csi', 'true'));
    groupIndex.upsert({ metadata: { name: 'group', annotations: { [GROUP_SNAPSHOT_DEFAULT_ANNOTATION]: 'true' } }, driver: 'a.csi' });

    expect(groupIndex.defaultsFor('a.csi')).toEqual(['group']);
  });

  it('forgets a removed class, default or not, and ignores unknown names', () => {
    const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
    index.upsert(snapshotClass('d', 'a.csi', 'true'));
    index.upsert(snapshotClass('n', 'a.csi'));
    index.remove('d');
    index.remove('n');
    index.remove('never-existed');

    expect(index.size()).toBe(0);
    expect(index.get('d')).toBeUndefined();
    expect(index.defaultsFor('a.csi')).toEqual([]);
    expect(index.hasAnyDefault()).toBe(false);
  });

  it('counts drivers with more than one default, and stops when they are resolved', () => {
    const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
    index.upsert(snapshotClass('one', 'a.csi', 'true'));
    expect(index.driversWithMultipleDefaults()).toEqual([]);

    index.upsert(snapshotClass('two', 'a.csi', 'true'));
    index.upsert(snapshotClass('three', 'a.csi', 'true'));
    index.upsert(snapshotClass('solo', 'b.csi', 'true'));
    const [duplicate, ...others] = index.driversWithMultipleDefaults();
    expect(others).toEqual([]);
    expect(duplicate?.driver).toBe('a.csi');
    expect([...(duplicate?.classes ?? [])].sort()).toEqual(['one', 'three', 'two']);

    index.remove('two');
    expect(index.driversWithMultipleDefaults().map((entry) => entry.classes.length)).toEqual([2]);
    index.upsert(snapshotClass('three', 'b.csi', 'true')); // moved: now b.csi has two
    expect(index.driversWithMultipleDefaults()).toEqual([{ driver: 'b.csi', classes: ['solo', 'three'] }]);
    index.upsert(snapshotClass('three', 'b.csi')); // no longer default
    expect(index.driversWithMultipleDefaults()).toEqual([]);
  });

  it('replaces everything on replaceAll, dropping classes the new list lacks', () => {
    const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
    index.upsert(snapshotClass('old', 'a.csi', 'true'));
    index.upsert(snapshotClass('dup', 'a.csi', 'true'));
    index.replaceAll([snapshotClass('new', 'b.csi', 'true'), snapshotClass('other', 'b.csi')]);

    expect(index.get('old')).toBeUndefined();
    expect(index.defaultsFor('a.csi')).toEqual([]);
    expect(index.defaultsFor('b.csi')).toEqual(['new']);
    expect(index.driversWithMultipleDefaults()).toEqual([]);
    expect(index.size()).toBe(2);
  });

  it('ignores objects without a name and treats a missing driver as empty', () => {
    const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
    index.upsert({ driver: 'a.csi' });
    index.upsert({ metadata: { name: '' }, driver: 'a.csi' });
    index.upsert({ metadata: { name: 'no-driver', annotations: { [SNAPSHOT_DEFAULT_ANNOTATION]: 'true' } } });

    expect(index.size()).toBe(1);
    expect(index.get('no-driver')).toEqual({ name: 'no-driver', driver: '', isDefault: true });
  });

  it('projects an object to the fields it reads, keeping the meaning of the annotation', () => {
    const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
    const full = {
      metadata: { name: 'c', annotations: { [SNAPSHOT_DEFAULT_ANNOTATION]: 'True', other: 'x'.repeat(1000) } },
      driver: 'a.csi',
      parameters: { big: 'y'.repeat(1000) },
    };

    expect(index.project(full)).toEqual({
      metadata: { name: 'c', annotations: { [SNAPSHOT_DEFAULT_ANNOTATION]: 'True' } },
      driver: 'a.csi',
    });
    expect(index.project({ driver: 'a.csi' })).toBeUndefined();
  });

  it('keeps 10,000 classes in a few megabytes, not their objects, and answers without scanning', () => {
    const index = new ClassIndex(SNAPSHOT_DEFAULT_ANNOTATION);
    const before = heapAfterGc();
    for (let i = 0; i < 10_000; i += 1) {
      const object = snapshotClass(`class-${i}`, `driver-${i % 100}.csi`, i % 100 === 0 ? 'true' : undefined);
      // ~4 kB of its own per object: 40 MB if the index kept the objects.
      index.upsert({ ...object, parameters: Array.from({ length: 500 }, (_, j) => i + j) } as ClassObject);
    }
    const retainedBytes = heapAfterGc() - before;

    expect(index.size()).toBe(10_000);
    expect(index.defaultsFor('driver-0.csi')).toHaveLength(100);
    expect(retainedBytes).toBeLessThan(10 * 1024 * 1024);
    const started = performance.now();
    for (let i = 0; i < 100_000; i += 1) {
      index.defaultsFor(`driver-${i % 100}.csi`);
      index.get(`class-${i % 10_000}`);
      index.hasAnyDefault();
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
