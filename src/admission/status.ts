import { aggregateText, causeMessage } from '../rules/field-errors.ts';
import { stringAt } from '../rules/object-access.ts';
import type { Violation } from '../rules/types.ts';
import type { AdmissionRequest, Status } from './review.ts';

/**
 * A denial as the API server's own validation errors read: 422 Invalid with one cause a field,
 * so kubectl prints `The VolumeSnapshot "x" is invalid:` and a line a cause; the message holds
 * all of them too, for other clients, logs and audit.
 */
export function invalidStatus(request: AdmissionRequest, violations: readonly Violation[]): Status {
  const { group, kind } = request.kind;
  const name = clipped(stringAt(request.object, 'metadata.name') ?? request.name ?? '');
  const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
  return {
    metadata: {},
    status: 'Failure',
    message: `${qualifiedKind} ${JSON.stringify(name)} is invalid: ${aggregateText(violations)}`,
    reason: 'Invalid',
    details: {
      name,
      group,
      kind,
      causes: violations.map((violation) => ({
        reason: violation.reason,
        message: causeMessage(violation),
        field: violation.field,
      })),
    },
    code: 422,
  };
}

/** A valid name has at most 253 characters; a longer one is not echoed whole (twice) into the answer. */
const MAX_ECHOED_NAME = 256;

function clipped(name: string): string {
  return name.length <= MAX_ECHOED_NAME ? name : `${name.slice(0, MAX_ECHOED_NAME)}… (${name.length} characters)`;
}
