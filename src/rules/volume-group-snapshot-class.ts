import { checkImmutable } from './checks.ts';
import { defaultClassRules } from './default-class.ts';
import { isSet, jsonEqual } from './object-access.ts';
import type { ResourceRules } from './types.ts';
import { GROUP_SNAPSHOT_DEFAULT_ANNOTATION } from './snapshot-api.ts';

/** Rules 18–19 of docs/rules.md: VolumeGroupSnapshotClass. */
const singleDefault = defaultClassRules({
  kind: 'VolumeGroupSnapshotClass',
  resource: 'volumegroupsnapshotclass',
  annotationKey: GROUP_SNAPSHOT_DEFAULT_ANNOTATION,
  rulePrefix: 'volumegroupsnapshotclass',
  classesOf: (cluster) => cluster.groupSnapshotClasses,
});

/** No parameters and empty parameters mean the same to a driver. */
function sameParameters(left: unknown, right: unknown): boolean {
  return jsonEqual(isSet(left) ? left : {}, isSet(right) ? right : {});
}

export const volumeGroupSnapshotClassRules: ResourceRules = (request, context) => {
  const verdict = singleDefault(request, context);
  const rule = 'volumegroupsnapshotclass-immutable';
  return {
    violations: [
      ...verdict.violations,
      ...checkImmutable(rule, request, 'driver'),
      ...checkImmutable(rule, request, 'deletionPolicy'),
      ...checkImmutable(rule, request, 'parameters', { equal: sameParameters }),
    ],
    warnings: verdict.warnings,
  };
};
