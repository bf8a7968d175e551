import { checkExactlyOne, checkImmutable, checkOptionalName, isChangedBy } from './checks.ts';
import { isSet, stringAt, valueAt } from './object-access.ts';
import type { ResourceRules, RuleContext, RuleRequest, Warning } from './types.ts';
import { claimVerdict } from './volume-snapshot-claim.ts';

/** Rules 1–4 and 23 of docs/rules.md: VolumeSnapshot. */
const CLASS_NAME = 'spec.volumeSnapshotClassName';

export const volumeSnapshotRules: ResourceRules = (request, context) => {
  const claim = claimVerdict(request, context);
  return {
    violations: [
      ...checkExactlyOne('volumesnapshot-source', request, {
        path: 'spec.source',
        fields: ['persistentVolumeClaimName', 'volumeSnapshotContentName'],
        hint: 'persistentVolumeClaimName to snapshot a PVC, or volumeSnapshotContentName to bind a pre-provisioned VolumeSnapshotContent',
      }),
      ...checkOptionalName('volumesnapshot-source', request, 'spec.source.persistentVolumeClaimName'),
      ...checkOptionalName('volumesnapshot-source', request, 'spec.source.volumeSnapshotContentName'),
      ...checkImmutable('volumesnapshot-source-immutable', request, 'spec.source.persistentVolumeClaimName'),
      ...checkImmutable('volumesnapshot-source-immutable', request, 'spec.source.volumeSnapshotContentName'),
      ...checkOptionalName('volumesnapshot-class-name', request, CLASS_NAME),
      ...claim.violations,
    ],
    warnings: [...classWarnings(request, context), ...claim.warnings],
  };
};

/** Rule 4: a snapshot whose class cannot be found stays Pending; say so at creation. */
function classWarnings(request: RuleRequest, context: RuleContext): Warning[] {
  const classes = context.cluster.snapshotClasses;
  if (classes === null || !isChangedBy(request, CLASS_NAME)) return [];
  const className = stringAt(request.object, CLASS_NAME);
  if (className !== undefined && className !== '') {
    if (classes.get(className) !== undefined) return [];
    return [
      {
        rule: 'volumesnapshot-class-missing',
        message: `VolumeSnapshotClass "${className}" does not exist: the snapshot stays Pending until it is created`,
      },
    ];
  }
  // Only a dynamic snapshot needs a class; a pre-provisioned one binds to its content without one.
  const dynamic = isSet(valueAt(request.object, 'spec.source.persistentVolumeClaimName'));
  if (isSet(valueAt(request.object, CLASS_NAME)) || !dynamic || classes.hasAnyDefault()) return [];
  return [
    {
      rule: 'volumesnapshot-no-default-class',
      message:
        'spec.volumeSnapshotClassName is not set and no VolumeSnapshotClass is marked default: ' +
        'the snapshot will stay Pending (name a class, or mark one default)',
    },
  ];
}
