import { causeMessage } from '../rules/field-errors.ts';
import type { CauseReason, Violation, Warning } from '../rules/types.ts';

/** A violation as validate and audit report it (text and JSON): a Status cause plus its rule. */
export interface FindingError {
  readonly field: string;
  readonly reason: CauseReason;
  /** As in a Status cause: starts with the reason phrase (Invalid value: …), does not repeat the field. */
  readonly message: string;
  readonly rule: string;
}

export interface FindingWarning {
  readonly message: string;
  readonly rule: string;
}

export function findingError(violation: Violation): FindingError {
  return { field: violation.field, reason: violation.reason, message: causeMessage(violation), rule: violation.rule };
}

export function findingWarning({ message, rule }: Warning): FindingWarning {
  return { message, rule };
}
