import { defaultClassRules } from './default-class.ts';
import { SNAPSHOT_DEFAULT_ANNOTATION } from './snapshot-api.ts';

/** Rules 9–10 of docs/rules.md: VolumeSnapshotClass. */
export const volumeSnapshotClassRules = defaultClassRules({
  kind: 'VolumeSnapshotClass',
  resource: 'volumesnapshotclass',
  annotationKey: SNAPSHOT_DEFAULT_ANNOTATION,
  rulePrefix: 'volumesnapshotclass',
  classesOf: (cluster) => cluster.snapshotClasses,
});
