import { required } from './field-errors.ts';
import { checkExactlyOne, checkHandles, checkImmutable, checkObjectReference, checkOptionalName, isChangedBy } from './checks.ts';
import { isSet, valueAt } from './object-access.ts';
import type { ResourceRules, RuleRequest, Violation } from './types.ts';

/** Rules 15–17 of docs/rules.md: VolumeGroupSnapshotContent. */
const HANDLES = 'spec.source.groupSnapshotHandles';
const REF = 'spec.volumeGroupSnapshotRef';

export const volumeGroupSnapshotContentRules: ResourceRules = (request) => ({
  violations: [
    ...checkExactlyOne('volumegroupsnapshotcontent-source', request, {
      path: 'spec.source',
      fields: ['volumeHandles', 'groupSnapshotHandles'],
      hint: 'volumeHandles for a dynamically provisioned group snapshot, or groupSnapshotHandles for a pre-provisioned one',
    }),
    ...groupSnapshotHandlesChecks(request),
    ...checkHandles('volumegroupsnapshotcontent-source', request, 'spec.source.volumeHandles'),
    ...checkHandles('volumegroupsnapshotcontent-source', request, `${HANDLES}.volumeGroupSnapshotHandle`),
    ...checkHandles('volumegroupsnapshotcontent-source', request, `${HANDLES}.volumeSnapshotHandles`),
    ...immutableFields(request),
    ...checkObjectReference('volumegroupsnapshotcontent-ref', request, REF, 'VolumeGroupSnapshot this content is bound to'),
    ...checkOptionalName('volumegroupsnapshotcontent-class-name', request, 'spec.volumeGroupSnapshotClassName'),
  ],
  warnings: [],
});

function groupSnapshotHandlesChecks(request: RuleRequest): Violation[] {
  const handles = valueAt(request.object, HANDLES);
  if (!isSet(handles) || !isChangedBy(request, HANDLES)) return [];
  return (['volumeGroupSnapshotHandle', 'volumeSnapshotHandles'] as const)
    .filter((field) => !isSet(valueAt(handles, field)))
    .map((field) =>
      required(
        'volumegroupsnapshotcontent-source',
        `${HANDLES}.${field}`,
        'a pre-provisioned group snapshot needs both volumeGroupSnapshotHandle and volumeSnapshotHandles',
      ),
    );
}

function immutableFields(request: RuleRequest): Violation[] {
  const rule = 'volumegroupsnapshotcontent-immutable';
  return [
    ...checkImmutable(rule, request, 'spec.source.volumeHandles'),
    ...checkImmutable(rule, request, HANDLES),
    ...checkImmutable(rule, request, 'spec.driver'),
    ...checkImmutable(rule, request, 'spec.volumeGroupSnapshotClassName', { onceSet: true }),
    ...checkImmutable(rule, request, `${REF}.name`),
    ...checkImmutable(rule, request, `${REF}.namespace`),
    ...checkImmutable(rule, request, `${REF}.uid`, { onceSet: true }),
  ];
}
