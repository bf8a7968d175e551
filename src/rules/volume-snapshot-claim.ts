/**
 * Rule 23 of docs/rules.md: a VolumeSnapshot CREATE of a PVC that is missing or not bound waits
 * (a warning); one whose class's driver is not the driver of the PVC's volume is never taken (denied).
 */
import type { ClusterObjects, ObjectRef } from './cluster-objects.ts';
import { invalid } from './field-errors.ts';
import { stringAt } from './object-access.ts';
import { found, lookupWarnings } from './restore-source.ts';
import type { KubeObject, RuleContext, RuleRequest, Verdict, Violation } from './types.ts';

const CLASS_NAME = 'spec.volumeSnapshotClassName';
const NOTHING: Verdict = { violations: [], warnings: [] };

function claimRef(request: RuleRequest): ObjectRef | undefined {
  const name = stringAt(request.object, 'spec.source.persistentVolumeClaimName');
  const namespace = request.namespace ?? stringAt(request.object, 'metadata.namespace');
  return request.operation === 'CREATE' && name ? { resource: 'persistentvolumeclaims', namespace, name } : undefined;
}

function volumeRef(claim: KubeObject | undefined): ObjectRef | undefined {
  const name = stringAt(claim, 'spec.volumeName');
  return name ? { resource: 'persistentvolumes', name } : undefined;
}

/** What rule 23 needs to read, given what was read so far. */
export function volumeSnapshotLookups(request: RuleRequest, objects: ClusterObjects): ObjectRef[] {
  const claim = claimRef(request);
  if (claim === undefined) return [];
  const volume = volumeRef(found(objects, claim));
  return volume === undefined ? [claim] : [claim, volume];
}

export function claimVerdict(request: RuleRequest, context: RuleContext): Verdict {
  const ref = claimRef(request);
  const objects = context.objects;
  if (ref === undefined || objects === undefined) return NOTHING;
  const claim = found(objects, ref);
  const phase = stringAt(claim, 'status.phase');
  const unbound =
    phase !== undefined && phase !== 'Bound'
      ? [
          {
            rule: 'volumesnapshot-claim-unbound',
            message: `PersistentVolumeClaim "${ref.name}" is not bound (phase ${phase}): the snapshot is taken once it is`,
          },
        ]
      : [];
  const volume = volumeRef(claim);
  return {
    violations: driverViolations(request, context, found(objects, volume)),
    warnings: [
      ...lookupWarnings('volumesnapshot-claim-missing', objects, [ref], 'the snapshot waits until it exists'),
      ...unbound,
      ...lookupWarnings('volumesnapshot-volume-missing', objects, volume === undefined ? [] : [volume], 'the snapshot cannot be taken'),
    ],
  };
}

function driverViolations(request: RuleRequest, context: RuleContext, volume: KubeObject | undefined): Violation[] {
  const className = stringAt(request.object, CLASS_NAME);
  const classDriver = className ? context.cluster.snapshotClasses?.get(className)?.driver : undefined;
  const volumeDriver = stringAt(volume, 'spec.csi.driver');
  if (classDriver === undefined || volumeDriver === undefined || classDriver === volumeDriver) return [];
  const claimName = stringAt(request.object, 'spec.source.persistentVolumeClaimName') ?? '';
  return [
    invalid(
      'volumesnapshot-driver',
      CLASS_NAME,
      className,
      `VolumeSnapshotClass "${className ?? ''}" is for driver ${classDriver}, but PVC "${claimName}" was provisioned by ${volumeDriver}: ` +
        `use a VolumeSnapshotClass of ${volumeDriver}`,
    ),
  ];
}
