/** The API groups this webhook reviews, the versions it understands, and their default-class annotations. */
export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
export const GROUP_SNAPSHOT_GROUP = 'groupsnapshot.storage.k8s.io';
/** Kubernetes' core group (PersistentVolumeClaims), named by the empty string. */
export const CORE_GROUP = '';

/** Newest first: discovery prefers the first one a cluster serves. */
export const SNAPSHOT_VERSIONS = ['v1', 'v1beta1'] as const;
export const GROUP_SNAPSHOT_VERSIONS = ['v1', 'v1beta2', 'v1beta1', 'v1alpha1'] as const;

/** A class is the default for its driver when this annotation is exactly "true" (rules 9 and 18). */
export const SNAPSHOT_DEFAULT_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';
export const GROUP_SNAPSHOT_DEFAULT_ANNOTATION = 'groupsnapshot.storage.kubernetes.io/is-default-class';
