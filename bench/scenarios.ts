/**
 * What the bench sends: AdmissionReviews built from the captures of a real kube-apiserver
 * (test/fixtures/captures), and the snapshot classes the fake API
 * server holds while the webhook answers them.
 */
import { reviewFrom, type Capture } from '../testkit/captures.ts';
import type { JsonObject } from '../testkit/fake-api-store.ts';
import { volumeGroupSnapshotClass, volumeSnapshotClass } from '../testkit/class-fixtures.ts';

export type Expected = 'allowed' | 'denied';

/** One review body and the answer the webhook must give it. */
export interface ReviewCase {
  readonly title: string;
  readonly kind: string;
  readonly body: string;
  readonly expect: Expected;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Sent in turn by each connection (one review for most scenarios, several for the mix). */
  readonly reviews: readonly ReviewCase[];
}

/** The driver of the captures' classes; it has a default class in the bench's cluster. */
export const CAPTURED_DRIVER = 'hostpath.csi.k8s.io';
export const DEFAULT_CLASS = 'csi-hostpath-snapclass';
export const DEFAULT_GROUP_CLASS = 'group-class';
/** Drivers the other classes are spread over; the first class of each is its default. */
const OTHER_DRIVERS = 64;

/**
 * `count` VolumeSnapshotClasses: the captures' default class, then classes over 64 other drivers
 * (one default each, the rest plain or annotated "false").
 */
export function snapshotClasses(count: number): JsonObject[] {
  const classes = [volumeSnapshotClass(DEFAULT_CLASS, CAPTURED_DRIVER, { isDefault: 'true' })];
  for (let index = 1; index < count; index += 1) {
    const driver = `bench-${index % OTHER_DRIVERS}.csi.example.com`;
    const isDefault = index <= OTHER_DRIVERS ? 'true' : index % 3 === 0 ? 'false' : undefined;
    const name = `bench-class-${String(index).padStart(5, '0')}`;
    classes.push(volumeSnapshotClass(name, driver, isDefault === undefined ? {} : { isDefault }));
  }
  return classes;
}

/** The group snapshot class the captured VolumeGroupSnapshot names, default for its driver. */
export function groupSnapshotClasses(): JsonObject[] {
  return [volumeGroupSnapshotClass(DEFAULT_GROUP_CLASS, CAPTURED_DRIVER, { isDefault: 'true' })];
}

type Review = Capture['body'];

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('bench: expected an object');
  return value as Record<string, unknown>;
}

function metadataOf(object: unknown): Record<string, unknown> {
  return asObject(asObject(object).metadata);
}

function reviewCase(title: string, review: Review, expect: Expected): ReviewCase {
  const kind = String(asObject(review.request.kind).kind);
  return { title, kind, body: JSON.stringify(review), expect };
}

export function volumeSnapshotCreate(): ReviewCase {
  return reviewCase('VolumeSnapshot CREATE', reviewFrom('02-'), 'allowed');
}

/** `kubectl label` on a VolumeSnapshot, as captured: object and oldObject. */
export function volumeSnapshotUpdate(): ReviewCase {
  return reviewCase('VolumeSnapshot UPDATE', reviewFrom('06-'), 'allowed');
}

/** The snapshot controller binding a pre-provisioned content: a finalizer and an annotation added. */
export function volumeSnapshotContentUpdate(): ReviewCase {
  const review = reviewFrom('03-', (body) => {
    const request = body.request;
    const old = structuredClone(request.object);
    metadataOf(old).resourceVersion = '500';
    const object = structuredClone(old);
    const metadata = metadataOf(object);
    metadata.resourceVersion = '501';
    metadata.finalizers = ['snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection'];
    asObject(metadata.annotations)['snapshot.storage.kubernetes.io/volumesnapshot-being-created'] = 'yes';
    request.operation = 'UPDATE';
    request.object = object;
    request.oldObject = old;
    request.options = { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' };
  });
  return reviewCase('VolumeSnapshotContent UPDATE', review, 'allowed');
}

/** A second default VolumeSnapshotClass for the driver that already has one: denied. */
export function secondDefaultClassCreate(): ReviewCase {
  const review = reviewFrom('01-', (body) => {
    body.request.name = 'fast';
    metadataOf(body.request.object).name = 'fast';
  });
  return reviewCase('VolumeSnapshotClass CREATE, second default', review, 'denied');
}

export function volumeGroupSnapshotCreate(): ReviewCase {
  return reviewCase('VolumeGroupSnapshot CREATE', reviewFrom('04-'), 'allowed');
}

export const LARGE_OBJECT_BYTES = 1024 * 1024;

/**
 * A VolumeSnapshot CREATE whose object is 1 MiB of JSON: 32 KiB of annotations (the API server
 * allows 256 KiB) and managedFields from many controllers, the usual way objects grow.
 */
export function largeVolumeSnapshotCreate(): ReviewCase {
  const review = reviewFrom('02-', (body) => {
    const metadata = metadataOf(body.request.object);
    const annotations = asObject(metadata.annotations);
    for (let index = 0; index < 16; index += 1) annotations[`example.com/note-${index}`] = 'x'.repeat(2048);
    const managedFields = metadata.managedFields as unknown[];
    let size = JSON.stringify(body.request.object).length;
    for (let index = 0; size < LARGE_OBJECT_BYTES; index += 1) {
      const entry = managedFieldsEntry(index);
      managedFields.push(entry);
      size += JSON.stringify(entry).length + 1;
    }
  });
  return reviewCase('VolumeSnapshot CREATE, 1 MiB object', review, 'allowed');
}

function managedFieldsEntry(index: number): JsonObject {
  const label = `f:example.com/label-${index}`;
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, [label]: {} }, 'f:annotations': { [`${label}-note`]: {} } } },
    manager: `controller-${index}`,
    operation: 'Update',
    time: '2026-11-22T02:40:08Z',
  };
}

/** The review mix: what a cluster's API server sends most (snapshots and contents) weighted up. */
function mix(): ReviewCase[] {
  const create = volumeSnapshotCreate();
  const update = volumeSnapshotUpdate();
  const content = volumeSnapshotContentUpdate();
  return [create, update, content, volumeGroupSnapshotCreate(), content, update, secondDefaultClassCreate(), create, update, content];
}

/** Every scenario of the bench, in report order. */
export function scenarios(): Scenario[] {
  const single = (name: string, review: ReviewCase): Scenario => ({ name, title: review.title, reviews: [review] });
  return [
    {
      name: 'mix',
      title: 'mix of the five small reviews (3 VS UPDATE, 3 VSC UPDATE, 2 VS CREATE, 1 VGS CREATE, 1 class denied)',
      reviews: mix(),
    },
    single('vs-create', volumeSnapshotCreate()),
    single('vs-update', volumeSnapshotUpdate()),
    single('vsc-update', volumeSnapshotContentUpdate()),
    single('class-second-default', secondDefaultClassCreate()),
    single('vgs-create', volumeGroupSnapshotCreate()),
    single('large-1mib', largeVolumeSnapshotCreate()),
  ];
}
