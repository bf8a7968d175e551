import { forbidden, invalid, notSupported, required } from './field-errors.ts';
import { labelKeyProblems, labelValueProblems } from './names.ts';
import { isRecord, isSet, jsonEqual } from './object-access.ts';
import type { Violation } from './types.ts';

/** Label selectors (metav1.LabelSelector) as the API server validates them. */
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

export function selectorViolations(rule: string, path: string, selector: unknown): Violation[] {
  if (!isRecord(selector)) return [invalid(rule, path, selector, 'must be a label selector object')];
  return [
    ...matchLabelsViolations(rule, `${path}.matchLabels`, selector.matchLabels),
    ...matchExpressionsViolations(rule, `${path}.matchExpressions`, selector.matchExpressions),
  ];
}

function matchLabelsViolations(rule: string, path: string, labels: unknown): Violation[] {
  if (!isSet(labels)) return [];
  if (!isRecord(labels)) return [invalid(rule, path, labels, 'must be a map of label keys to values')];
  return Object.entries(labels).flatMap(([key, value]) => [
    ...labelKeyProblems(key).map((problem) => invalid(rule, path, key, problem)),
    ...labelValueViolations(rule, `${path}[${key}]`, value),
  ]);
}

function labelValueViolations(rule: string, path: string, value: unknown): Violation[] {
  if (typeof value !== 'string') return [invalid(rule, path, value, 'must be a string')];
  return labelValueProblems(value).map((problem) => invalid(rule, path, value, problem));
}

function matchExpressionsViolations(rule: string, path: string, expressions: unknown): Violation[] {
  if (!isSet(expressions)) return [];
  if (!Array.isArray(expressions)) return [invalid(rule, path, expressions, 'must be a list')];
  return expressions.flatMap((expression, index) => expressionViolations(rule, `${path}[${index}]`, expression));
}

function expressionViolations(rule: string, path: string, expression: unknown): Violation[] {
  if (!isRecord(expression)) return [invalid(rule, path, expression, 'must be a selector requirement object')];
  const { key, operator } = expression;
  const keyViolations =
    typeof key === 'string'
      ? labelKeyProblems(key).map((problem) => invalid(rule, `${path}.key`, key, problem))
      : [required(rule, `${path}.key`, 'a label key must be given')];
  return [...keyViolations, ...operatorViolations(rule, path, operator, expression.values)];
}

function operatorViolations(rule: string, path: string, operator: unknown, values: unknown): Violation[] {
  const list = Array.isArray(values) ? (values as unknown[]) : [];
  if (isSet(values) && !Array.isArray(values)) return [invalid(rule, `${path}.values`, values, 'must be a list')];
  if (operator === 'In' || operator === 'NotIn') {
    if (list.length === 0) {
      return [required(rule, `${path}.values`, 'must be specified when operator is "In" or "NotIn"')];
    }
    return list.flatMap((value, index) => labelValueViolations(rule, `${path}.values[${index}]`, value));
  }
  if (operator === 'Exists' || operator === 'DoesNotExist') {
    if (list.length === 0) return [];
    return [forbidden(rule, `${path}.values`, 'may not be specified when operator is "Exists" or "DoesNotExist"')];
  }
  return [notSupported(rule, `${path}.operator`, operator, OPERATORS)];
}

/** An empty selector ({}) matches everything; worth a warning, never a denial. */
export function isEmptySelector(selector: unknown): boolean {
  if (!isRecord(selector)) return false;
  const labels = isRecord(selector.matchLabels) ? Object.keys(selector.matchLabels).length : 0;
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions.length : 0;
  return labels === 0 && expressions === 0;
}

/**
 * Selectors compared by meaning: an absent matchLabels equals an empty one, and likewise for
 * matchExpressions and values; the order of expressions and of values is kept as given.
 */
export function selectorsEqual(left: unknown, right: unknown): boolean {
  if (!isSet(left) || !isSet(right)) return !isSet(left) && !isSet(right);
  return jsonEqual(normalizeSelector(left), normalizeSelector(right));
}

function normalizeSelector(selector: unknown): unknown {
  if (!isRecord(selector)) return selector;
  const expressions = Array.isArray(selector.matchExpressions) ? (selector.matchExpressions as unknown[]) : [];
  return {
    ...selector,
    matchLabels: selector.matchLabels ?? {},
    matchExpressions: expressions.map((expression) =>
      isRecord(expression) ? { ...expression, values: expression.values ?? [] } : expression,
    ),
  };
}
