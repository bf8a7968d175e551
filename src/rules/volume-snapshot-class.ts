import { defaultClassRules } from './default-class.ts';

/** Rules 9–10 of docs/rules.md: VolumeSnapshotClass. */
export const volumeSnapshotClassRules = defaultClassRules({
  kind: 'VolumeSnapshotClass',
  resource: 'volumesnapshotclass',
  annotationKey: 'snapshot.storage.kubernetes.io/is-default-class',
  rulePrefix: 'volumesnapshotclass',
  classesOf: (cluster) => cluster.snapshotClasses,
});
