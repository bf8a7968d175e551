import { WebhookError } from '../errors.ts';
import { familyFor, type ResourceFamily } from '../rules/table.ts';
import type { RuleContext, RuleRequest, Verdict, Warning } from '../rules/types.ts';
import { describeSchemaErrors, type SchemaSet } from '../schemas.ts';
import type { AdmissionRequest } from './review.ts';

/** How a review was decided, for the answer, the logs and the metrics. */
export type Outcome = 'allowed' | 'denied' | 'skipped' | 'unknown';

export interface Decision extends Verdict {
  readonly outcome: Outcome;
  readonly family: ResourceFamily | undefined;
}

const NOTHING: Verdict = { violations: [], warnings: [] };

/**
 * Dispatch on request.resource. Operations other than CREATE and UPDATE are allowed without
 * decoding the object; a resource we do not know is allowed with a warning, never denied: that
 * is a configuration mistake the user who hits it cannot fix.
 */
export function decide(request: AdmissionRequest, context: RuleContext, schemas: SchemaSet): Decision {
  const family = familyFor(request.resource);
  if (family === undefined) {
    return { ...NOTHING, warnings: [unknownResourceWarning(request)], outcome: 'unknown', family };
  }
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') {
    return { ...NOTHING, outcome: 'skipped', family };
  }
  checkObject(schemas, family, request.object ?? null, 'object');
  if (request.operation === 'UPDATE') checkObject(schemas, family, request.oldObject ?? null, 'oldObject');
  const verdict = family.rules(ruleRequestOf(request), context);
  return { ...verdict, outcome: verdict.violations.length > 0 ? 'denied' : 'allowed', family };
}

function checkObject(schemas: SchemaSet, family: ResourceFamily, object: unknown, field: string): void {
  const path = `body.request.${field}`;
  if (object === null) throw new WebhookError('BODY_NOT_REVIEW', `${path}: must be set for ${family.kind}`);
  const validate = schemas.validator(family.schemaId);
  if (!validate(object)) throw new WebhookError('BODY_NOT_REVIEW', describeSchemaErrors(validate.errors, path));
}

function unknownResourceWarning(request: AdmissionRequest): Warning {
  const { group, version, resource } = request.resource;
  // The core group is the empty string: "pods/v1", not "pods./v1".
  const name = group === '' ? `${resource}/${version}` : `${resource}.${group}/${version}`;
  return {
    rule: 'unknown-resource',
    message: `the snapshot webhook does not validate ${name}: ` + 'check the rules of its ValidatingWebhookConfiguration',
  };
}

/** What the rules see of a CREATE or UPDATE. */
export function ruleRequestOf(request: AdmissionRequest): RuleRequest {
  const oldObject = request.operation === 'UPDATE' ? (request.oldObject ?? null) : null;
  return { operation: request.operation, object: request.object ?? {}, oldObject, namespace: request.namespace };
}
