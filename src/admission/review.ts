import { WebhookError } from '../errors.ts';
import type { GroupVersionResource } from '../rules/table.ts';
import type { KubeObject, Operation } from '../rules/types.ts';
import { describeSchemaErrors, type SchemaSet } from '../schemas.ts';

/** The AdmissionReview exchange, admission.k8s.io v1 and v1beta1 (the same shape on the wire). */
export type ReviewApiVersion = 'admission.k8s.io/v1' | 'admission.k8s.io/v1beta1';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: Operation;
  readonly userInfo?: { readonly username?: string };
  readonly object?: KubeObject | null;
  readonly oldObject?: KubeObject | null;
  readonly dryRun?: boolean;
}

export interface AdmissionReview {
  readonly apiVersion: ReviewApiVersion;
  readonly kind: 'AdmissionReview';
  readonly request: AdmissionRequest;
}

export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

export interface Status {
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: 'Invalid';
  readonly details: {
    readonly name: string;
    readonly group: string;
    readonly kind: string;
    readonly causes: readonly StatusCause[];
  };
  readonly code: 422;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: Status;
  readonly warnings?: readonly string[];
}

export interface ReviewAnswer {
  readonly apiVersion: ReviewApiVersion;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

/** The $id of the AdmissionReview schema in <repo>/schemas. */
export const REVIEW_SCHEMA_ID = 'admission-review.schema.json';

/** Checks a parsed body against the AdmissionReview schema; throws a 400 that says what is wrong. */
export function parseReview(body: unknown, schemas: SchemaSet): AdmissionReview {
  if (body === undefined || body === null || body === '') throw new WebhookError('BODY_EMPTY');
  const validate = schemas.validator(REVIEW_SCHEMA_ID);
  if (!validate(body)) {
    throw new WebhookError('BODY_NOT_REVIEW', describeSchemaErrors(validate.errors, 'body'));
  }
  return body as AdmissionReview;
}

/** The answer mirrors the request's apiVersion and kind and echoes its uid, nothing else. */
export function answer(review: AdmissionReview, response: Omit<AdmissionResponse, 'uid'>): ReviewAnswer {
  return {
    apiVersion: review.apiVersion,
    kind: 'AdmissionReview',
    response: { uid: review.request.uid, ...response },
  };
}
