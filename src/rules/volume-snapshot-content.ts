import { checkExactlyOne, checkHandles, checkImmutable, checkObjectReference, checkOptionalName } from './checks.ts';
import type { ResourceRules } from './types.ts';

/** Rules 5–8 of docs/rules.md: VolumeSnapshotContent. */
export const volumeSnapshotContentRules: ResourceRules = (request, context) => ({
  violations: [
    ...checkExactlyOne('volumesnapshotcontent-source', request, {
      path: 'spec.source',
      fields: ['volumeHandle', 'snapshotHandle'],
      hint: 'volumeHandle for a dynamically provisioned snapshot, or snapshotHandle for a pre-provisioned one',
    }),
    ...checkHandles('volumesnapshotcontent-source', request, 'spec.source.volumeHandle'),
    ...checkHandles('volumesnapshotcontent-source', request, 'spec.source.snapshotHandle'),
    ...checkImmutable('volumesnapshotcontent-source-immutable', request, 'spec.source.volumeHandle'),
    ...checkImmutable('volumesnapshotcontent-source-immutable', request, 'spec.source.snapshotHandle'),
    // Setting the mode where it was unset is allowed, as the CRD's CEL rule does.
    ...(context.options.preventVolumeModeConversion
      ? checkImmutable('volumesnapshotcontent-volume-mode', request, 'spec.sourceVolumeMode', { onceSet: true })
      : []),
    ...checkObjectReference('volumesnapshotcontent-ref', request, 'spec.volumeSnapshotRef', 'VolumeSnapshot this content is bound to'),
    ...checkOptionalName('volumesnapshotcontent-class-name', request, 'spec.volumeSnapshotClassName'),
  ],
  warnings: [],
});
