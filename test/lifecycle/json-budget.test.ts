import { describe, expect, it } from 'vitest';
import { jsonBudgetProblem } from '../../src/lifecycle/json-budget.ts';

const BUDGET = { maxValues: 1000, maxDepth: 10 };
const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('jsonBudgetProblem', () => {
  it('passes a review-shaped body, and counts nothing inside strings', () => {
    expect(jsonBudgetProblem(bytes(JSON.stringify({ a: [1, 2, { b: 'x,y,{,[,\\",]' }], c: { d: null } })), BUDGET)).toBeUndefined();
    expect(jsonBudgetProblem(bytes(JSON.stringify({ s: '{'.repeat(5000) + ','.repeat(5000) })), BUDGET)).toBeUndefined();
  });

  it('refuses too many values, in objects or arrays', () => {
    const keys = Object.fromEntries(Array.from({ length: 1001 }, (_, index) => [`k${index}`, index]));
    expect(jsonBudgetProblem(bytes(JSON.stringify(keys)), BUDGET)).toEqual({
      exceeded: 'values',
      message: 'it holds more than 1000 values (a review of objects etcd can store holds far fewer)',
    });
    expect(jsonBudgetProblem(bytes(JSON.stringify(Array.from({ length: 1001 }, () => 0))), BUDGET)?.exceeded).toBe('values');
  });

  it('refuses nesting deeper than the limit, and allows exactly the limit', () => {
    expect(jsonBudgetProblem(bytes('['.repeat(10) + ']'.repeat(10)), BUDGET)).toBeUndefined();
    expect(jsonBudgetProblem(bytes('['.repeat(11) + ']'.repeat(11)), BUDGET)).toEqual({
      exceeded: 'depth',
      message: 'body: nests deeper than 10 levels (a review nests about 10)',
    });
    expect(jsonBudgetProblem(bytes('{"a":'.repeat(11) + '1' + '}'.repeat(11)), BUDGET)?.exceeded).toBe('depth');
  });

  it('survives an unterminated string and a trailing backslash', () => {
    expect(jsonBudgetProblem(bytes('{"a": "never ends \\'), BUDGET)).toBeUndefined();
  });
});
