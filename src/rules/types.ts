import type { ClusterView } from './class-view.ts';
import type { ClusterObjects } from './cluster-objects.ts';

/** A decoded Kubernetes object as it arrives in a review: JSON, nothing assumed beyond that. */
export type KubeObject = Readonly<Record<string, unknown>>;

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** What a rule sees of an admission request. */
export interface RuleRequest {
  readonly operation: Operation;
  readonly object: KubeObject;
  /** Set on UPDATE only. */
  readonly oldObject: KubeObject | null;
  /** The request's namespace, for namespaced objects whose metadata may not carry it yet. */
  readonly namespace?: string | undefined;
}

export interface RuleOptions {
  /** Rule 7: deny changing or removing a VolumeSnapshotContent's sourceVolumeMode. */
  readonly preventVolumeModeConversion: boolean;
}

export interface RuleContext {
  readonly cluster: ClusterView;
  readonly options: RuleOptions;
  /** Single objects read for the restore and clone rules; absent where nothing can be read. */
  readonly objects?: ClusterObjects | undefined;
}

/** The `reason` of a Kubernetes StatusCause, as the API server's own validation uses them. */
export type CauseReason = 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden' | 'FieldValueNotSupported';

/** One field error, in the shape of Kubernetes' field.Error. */
export interface Violation {
  /** Which rule of docs/rules.md found it, for logs and metrics (e.g. "volumesnapshot-source"). */
  readonly rule: string;
  readonly field: string;
  readonly reason: CauseReason;
  /** The offending value, shown for Invalid and NotSupported. */
  readonly value?: unknown;
  readonly detail: string;
}

export interface Warning {
  readonly rule: string;
  readonly message: string;
}

export interface Verdict {
  readonly violations: readonly Violation[];
  readonly warnings: readonly Warning[];
}

/** The rules of one resource family: pure, total, no I/O. */
export type ResourceRules = (request: RuleRequest, context: RuleContext) => Verdict;
