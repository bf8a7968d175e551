import type { Violation } from './types.ts';

/**
 * Violations in the shape of Kubernetes field errors, and their text as kubectl shows the API
 * server's own validation errors: `<field>: <Reason>: <detail>`.
 */
export function invalid(rule: string, field: string, value: unknown, detail: string): Violation {
  return { rule, field, reason: 'FieldValueInvalid', value, detail };
}

export function required(rule: string, field: string, detail: string): Violation {
  return { rule, field, reason: 'FieldValueRequired', detail };
}

export function forbidden(rule: string, field: string, detail: string): Violation {
  return { rule, field, reason: 'FieldValueForbidden', detail };
}

export function notSupported(rule: string, field: string, value: unknown, supported: readonly string[]): Violation {
  const detail = `supported values: ${supported.map((item) => JSON.stringify(item)).join(', ')}`;
  return { rule, field, reason: 'FieldValueNotSupported', value, detail };
}

/** A value must be readable in one terminal line; names can be 253 characters, handles longer. */
const MAX_RENDERED_VALUE = 120;

export function renderValue(value: unknown): string {
  const rendered = JSON.stringify(value) ?? 'null';
  if (rendered.length <= MAX_RENDERED_VALUE) return rendered;
  return `${rendered.slice(0, MAX_RENDERED_VALUE - 20)}... (${rendered.length} characters)`;
}

/** The cause message: starts with the reason phrase and does not repeat the field (kubectl adds it). */
export function causeMessage(violation: Violation): string {
  switch (violation.reason) {
    case 'FieldValueInvalid':
      return `Invalid value: ${renderValue(violation.value)}: ${violation.detail}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${renderValue(violation.value)}: ${violation.detail}`;
    case 'FieldValueRequired':
      return `Required value: ${violation.detail}`;
    case 'FieldValueForbidden':
      return `Forbidden: ${violation.detail}`;
  }
}

export function fieldErrorText(violation: Violation): string {
  return `${violation.field}: ${causeMessage(violation)}`;
}

/** All violations at once, joined the way Kubernetes aggregates field errors. */
export function aggregateText(violations: readonly Violation[]): string {
  const texts = violations.map(fieldErrorText);
  return texts.length === 1 ? (texts[0] ?? '') : `[${texts.join(', ')}]`;
}
