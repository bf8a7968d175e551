import { checkExactlyOne, checkImmutable, checkOptionalName, isChangedBy } from './checks.ts';
import { valueAt } from './object-access.ts';
import { isEmptySelector, selectorsEqual, selectorViolations } from './selector.ts';
import type { ResourceRules, RuleRequest, Violation, Warning } from './types.ts';

/** Rules 11–14 of docs/rules.md: VolumeGroupSnapshot. */
const SELECTOR = 'spec.source.selector';

export const volumeGroupSnapshotRules: ResourceRules = (request) => ({
  violations: [
    ...checkExactlyOne('volumegroupsnapshot-source', request, {
      path: 'spec.source',
      fields: ['selector', 'volumeGroupSnapshotContentName'],
      hint: 'selector to snapshot the PVCs it selects, or volumeGroupSnapshotContentName to bind a pre-provisioned VolumeGroupSnapshotContent',
    }),
    ...checkImmutable('volumegroupsnapshot-source-immutable', request, SELECTOR, { equal: selectorsEqual }),
    ...checkImmutable('volumegroupsnapshot-source-immutable', request, 'spec.source.volumeGroupSnapshotContentName'),
    ...checkOptionalName('volumegroupsnapshot-source', request, 'spec.source.volumeGroupSnapshotContentName'),
    ...checkOptionalName('volumegroupsnapshot-class-name', request, 'spec.volumeGroupSnapshotClassName'),
    ...selectorChecks(request),
  ],
  warnings: emptySelectorWarnings(request),
});

function selectorChecks(request: RuleRequest): Violation[] {
  const selector = valueAt(request.object, SELECTOR);
  if (selector === undefined || selector === null || !isChangedBy(request, SELECTOR, selectorsEqual)) return [];
  return selectorViolations('volumegroupsnapshot-selector', SELECTOR, selector);
}

function emptySelectorWarnings(request: RuleRequest): Warning[] {
  const selector = valueAt(request.object, SELECTOR);
  if (!isEmptySelector(selector) || !isChangedBy(request, SELECTOR, selectorsEqual)) return [];
  const namespace = valueAt(request.object, 'metadata.namespace');
  const where = typeof namespace === 'string' ? `namespace "${namespace}"` : 'its namespace';
  return [
    {
      rule: 'volumegroupsnapshot-empty-selector',
      message: `spec.source.selector is empty: it selects every PersistentVolumeClaim in ${where}`,
    },
  ];
}
