/**
 * What the bench sends: AdmissionReviews built from a real kube-apiserver's captures, each with the
 * answer the webhook must give while testkit/class-cluster.ts's classes are in its caches.
 */
import { reviewFrom, type Capture } from '../testkit/captures.ts';

/** One review body and the answer the webhook must give it. */
export interface ReviewCase {
  readonly title: string;
  readonly body: string;
  readonly expect: 'allowed' | 'denied';
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Sent in turn by each connection: one review for most scenarios, ten for the mix. */
  readonly reviews: readonly ReviewCase[];
}

type Review = Capture['body'];
type Fields = Record<string, unknown>;

const metadataOf = (object: unknown): Fields => (object as { metadata: Fields }).metadata;
const reviewCase = (title: string, review: Review, expect: ReviewCase['expect'] = 'allowed'): ReviewCase => ({
  title,
  body: JSON.stringify(review),
  expect,
});

const volumeSnapshotCreate = () => reviewCase('VolumeSnapshot CREATE', reviewFrom('02-'));
/** `kubectl label` on a VolumeSnapshot, as captured: object and oldObject. */
export const volumeSnapshotUpdate = () => reviewCase('VolumeSnapshot UPDATE', reviewFrom('06-'));
const volumeGroupSnapshotCreate = () => reviewCase('VolumeGroupSnapshot CREATE', reviewFrom('04-'));

/** The snapshot controller binding a pre-provisioned content: a finalizer and an annotation added. */
function volumeSnapshotContentUpdate(): ReviewCase {
  const review = reviewFrom('03-', ({ request }) => {
    const old = structuredClone(request.object);
    metadataOf(old).resourceVersion = '500';
    const object = structuredClone(old);
    const metadata = metadataOf(object);
    metadata.resourceVersion = '501';
    metadata.finalizers = ['snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection'];
    (metadata.annotations as Fields)['snapshot.storage.kubernetes.io/volumesnapshot-being-created'] = 'yes';
    Object.assign(request, {
      operation: 'UPDATE',
      object,
      oldObject: old,
      options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' },
    });
  });
  return reviewCase('VolumeSnapshotContent UPDATE', review);
}

/** A second default VolumeSnapshotClass for the driver that already has one: denied. */
function secondDefaultClassCreate(): ReviewCase {
  const review = reviewFrom('01-', ({ request }) => {
    request.name = 'fast';
    metadataOf(request.object).name = 'fast';
  });
  return reviewCase('VolumeSnapshotClass CREATE, second default', review, 'denied');
}

export const LARGE_OBJECT_BYTES = 1024 * 1024;

/** A VolumeSnapshot of 1 MiB: 32 KiB of annotations and managedFields from many controllers, the usual way objects grow. */
function largeVolumeSnapshotCreate(): ReviewCase {
  const review = reviewFrom('02-', ({ request }) => {
    const metadata = metadataOf(request.object);
    for (let index = 0; index < 16; index += 1) (metadata.annotations as Fields)[`example.com/note-${index}`] = 'x'.repeat(2048);
    const managedFields = metadata.managedFields as unknown[];
    for (let index = 0, size = JSON.stringify(request.object).length; size < LARGE_OBJECT_BYTES; index += 1) {
      const label = `f:example.com/label-${index}`;
      const fieldsV1 = { 'f:metadata': { 'f:labels': { '.': {}, [label]: {} }, 'f:annotations': { [`${label}-note`]: {} } } };
      const entry = { apiVersion: 'snapshot.storage.k8s.io/v1', fieldsType: 'FieldsV1', fieldsV1, manager: `controller-${index}` };
      managedFields.push({ ...entry, operation: 'Update', time: '2026-11-22T02:40:08Z' });
      size += JSON.stringify(managedFields.at(-1)).length + 1;
    }
  });
  return reviewCase('VolumeSnapshot CREATE, 1 MiB object', review);
}

/** Every scenario, in report order. The mix weights up what a cluster's API server sends most: snapshots and contents. */
export function scenarios(): Scenario[] {
  const [create, update, content] = [volumeSnapshotCreate(), volumeSnapshotUpdate(), volumeSnapshotContentUpdate()];
  const mix = [create, update, content, volumeGroupSnapshotCreate(), content, update, secondDefaultClassCreate(), create, update, content];
  const title = 'mix of the five small reviews (3 VS UPDATE, 3 VSC UPDATE, 2 VS CREATE, 1 VGS CREATE, 1 class denied)';
  const single = (name: string, review: ReviewCase): Scenario => ({ name, title: review.title, reviews: [review] });
  return [
    { name: 'mix', title, reviews: mix },
    single('vs-create', create),
    single('vs-update', update),
    single('vsc-update', content),
    single('class-second-default', secondDefaultClassCreate()),
    single('vgs-create', volumeGroupSnapshotCreate()),
    single('large-1mib', largeVolumeSnapshotCreate()),
  ];
}

export const isLarge = (scenario: Scenario): boolean => scenario.reviews.some((review) => review.body.length > 100_000);

export function scenarioNamed(all: readonly Scenario[], name: string): Scenario {
  const found = all.find((scenario) => scenario.name === name);
  if (found === undefined) throw new Error(`no scenario ${name}`);
  return found;
}
