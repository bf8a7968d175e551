/**
 * Rules 20–22 of docs/rules.md: a PVC restored from a VolumeSnapshot or cloned from a PVC that
 * could never be provisioned is refused at creation, instead of waiting Pending forever.
 */
import type { ClusterObjects, ObjectRef } from './cluster-objects.ts';
import { invalid } from './field-errors.ts';
import { annotation, stringAt, valueAt } from './object-access.ts';
import { compareQuantities, parseQuantity } from './quantity.ts';
import { dataSourceOf, found, lookupWarnings, requestedStorage, volumeModeOf, type DataSource } from './restore-source.ts';
import type { KubeObject, ResourceRules, RuleRequest, Verdict, Violation, Warning } from './types.ts';

const ALLOW_MODE_CHANGE = 'snapshot.storage.kubernetes.io/allow-volume-mode-change';
const NOTHING: Verdict = { violations: [], warnings: [] };

export const persistentVolumeClaimRules: ResourceRules = (request, context) => {
  const source = request.operation === 'CREATE' ? dataSourceOf(request) : undefined;
  const objects = context.objects;
  if (source === undefined || objects === undefined) return NOTHING;
  return source.kind === 'restore' ? restoreVerdict(request, source, objects) : cloneVerdict(request, source, objects);
};

/** What the rules need to read, given what was read so far. */
export function persistentVolumeClaimLookups(request: RuleRequest, objects: ClusterObjects): ObjectRef[] {
  const source = request.operation === 'CREATE' ? dataSourceOf(request) : undefined;
  if (source === undefined) return [];
  if (source.kind === 'clone') return [source.ref];
  return [source.ref, ...snapshotRefs(found(objects, source.ref)), ...storageClassRef(request.object)];
}

function contentRef(snapshot: KubeObject | undefined): ObjectRef | undefined {
  const name = stringAt(snapshot, 'status.boundVolumeSnapshotContentName');
  return name ? { resource: 'volumesnapshotcontents', name } : undefined;
}

function classRef(snapshot: KubeObject | undefined): ObjectRef | undefined {
  const name = stringAt(snapshot, 'spec.volumeSnapshotClassName');
  return name ? { resource: 'volumesnapshotclasses', name } : undefined;
}

function snapshotRefs(snapshot: KubeObject | undefined): ObjectRef[] {
  return [contentRef(snapshot), classRef(snapshot)].filter((ref) => ref !== undefined);
}

function storageClassRef(pvc: KubeObject): ObjectRef[] {
  const name = stringAt(pvc, 'spec.storageClassName');
  return name ? [{ resource: 'storageclasses', name }] : [];
}

function restoreVerdict(request: RuleRequest, source: DataSource, objects: ClusterObjects): Verdict {
  const snapshot = found(objects, source.ref);
  const content = found(objects, contentRef(snapshot));
  const snapshotClass = found(objects, classRef(snapshot));
  const storageClass = found(objects, storageClassRef(request.object)[0]);
  const driver = stringAt(content, 'spec.driver') ?? stringAt(snapshotClass, 'driver');
  return {
    violations: [
      ...restoreSizeViolations(request, source, snapshot),
      ...driverViolations(request, source, { driver, storageClass }),
      ...restoreModeViolations(request, source, content),
    ],
    warnings: [
      ...lookupWarnings('restore-source-missing', objects, [source.ref], 'the PVC stays Pending until it exists'),
      ...snapshotStateWarnings(source, snapshot),
      ...lookupWarnings(
        'restore-storage-class-missing',
        objects,
        [...storageClassRef(request.object)],
        'the PVC stays Pending until it exists',
      ),
      ...lookupWarnings('restore-source-missing', objects, snapshotRefs(snapshot), 'the snapshot cannot be restored until it exists'),
    ],
  };
}

function restoreSizeViolations(request: RuleRequest, source: DataSource, snapshot: KubeObject | undefined): Violation[] {
  return sizeViolations(request, source, {
    rule: 'restore-size',
    text: stringAt(snapshot, 'status.restoreSize'),
    of: "the snapshot's restoreSize",
  });
}

/** The PVC must request at least what its source holds (size.text, read from the source). */
function sizeViolations(
  request: RuleRequest,
  source: DataSource,
  size: { rule: string; text: string | undefined; of: string },
): Violation[] {
  const requested = requestedStorage(request.object);
  const sourceSize = size.text === undefined ? undefined : parseQuantity(size.text);
  if (requested === undefined || sourceSize === undefined || compareQuantities(requested.quantity, sourceSize) >= 0) return [];
  const message = `must be at least ${size.of}, ${size.text ?? ''} ("${source.ref.name}")`;
  return [invalid(size.rule, 'spec.resources.requests.storage', requested.text, message)];
}

interface Drivers {
  readonly driver: string | undefined;
  readonly storageClass: KubeObject | undefined;
}

function driverViolations(request: RuleRequest, source: DataSource, { driver, storageClass }: Drivers): Violation[] {
  const provisioner = stringAt(storageClass, 'provisioner');
  if (driver === undefined || provisioner === undefined || driver === provisioner) return [];
  const className = stringAt(request.object, 'spec.storageClassName') ?? '';
  return [
    invalid(
      'restore-driver',
      'spec.storageClassName',
      className,
      `StorageClass "${className}" provisions with ${provisioner}, but snapshot "${source.ref.name}" was taken by ${driver}: ` +
        `restore it with a StorageClass of ${driver}`,
    ),
  ];
}

function restoreModeViolations(request: RuleRequest, source: DataSource, content: KubeObject | undefined): Violation[] {
  const sourceMode = stringAt(content, 'spec.sourceVolumeMode');
  const mode = volumeModeOf(request.object);
  if (sourceMode === undefined || sourceMode === mode || annotation(content, ALLOW_MODE_CHANGE) === 'true') return [];
  return [
    invalid(
      'restore-volume-mode',
      'spec.volumeMode',
      mode,
      `must be ${sourceMode}, the volume mode snapshot "${source.ref.name}" was taken in ` +
        `(its VolumeSnapshotContent does not allow a change: annotation ${ALLOW_MODE_CHANGE})`,
    ),
  ];
}

function snapshotStateWarnings(source: DataSource, snapshot: KubeObject | undefined): Warning[] {
  if (snapshot === undefined) return [];
  const name = `VolumeSnapshot "${source.ref.name}"`;
  if (valueAt(snapshot, 'metadata.deletionTimestamp') !== undefined) {
    return [{ rule: 'restore-source-deleting', message: `${name} is being deleted: the PVC may never be restored` }];
  }
  // No status: a manifest (validate), or a snapshot the controller has not seen yet; nothing to say.
  if (valueAt(snapshot, 'status') === undefined || valueAt(snapshot, 'status.readyToUse') === true) return [];
  return [{ rule: 'restore-source-not-ready', message: `${name} is not ready to use yet: the PVC stays Pending until it is` }];
}

function cloneVerdict(request: RuleRequest, source: DataSource, objects: ClusterObjects): Verdict {
  const claim = found(objects, source.ref);
  return {
    violations: claim === undefined ? [] : cloneViolations(request, source, claim),
    warnings: lookupWarnings('clone-source-missing', objects, [source.ref], 'the PVC stays Pending until it exists'),
  };
}

function cloneViolations(request: RuleRequest, source: DataSource, claim: KubeObject): Violation[] {
  return [
    ...cloneSizeViolations(request, source, claim),
    ...cloneClassViolations(request, source, claim),
    ...cloneModeViolations(request, source, claim),
  ];
}

function cloneSizeViolations(request: RuleRequest, source: DataSource, claim: KubeObject): Violation[] {
  const text = stringAt(claim, 'status.capacity.storage') ?? stringAt(claim, 'spec.resources.requests.storage');
  return sizeViolations(request, source, { rule: 'clone-size', text, of: 'the size of the source PVC' });
}

function cloneClassViolations(request: RuleRequest, source: DataSource, claim: KubeObject): Violation[] {
  const className = stringAt(request.object, 'spec.storageClassName');
  const sourceClass = stringAt(claim, 'spec.storageClassName');
  if (className === undefined || sourceClass === undefined || className === sourceClass) return [];
  const detail = `must be "${sourceClass}", the StorageClass of the source PVC ("${source.ref.name}"): a clone is made by its source's driver`;
  return [invalid('clone-storage-class', 'spec.storageClassName', className, detail)];
}

function cloneModeViolations(request: RuleRequest, source: DataSource, claim: KubeObject): Violation[] {
  const mode = volumeModeOf(request.object);
  const sourceMode = volumeModeOf(claim);
  if (mode === sourceMode) return [];
  return [
    invalid(
      'clone-volume-mode',
      'spec.volumeMode',
      mode,
      `must be ${sourceMode}, the volume mode of the source PVC ("${source.ref.name}")`,
    ),
  ];
}
