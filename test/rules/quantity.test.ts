import { describe, expect, it } from 'vitest';
import { compareQuantities, parseQuantity, type Quantity } from '../../src/rules/quantity.ts';

function exact(text: string): string {
  const quantity = parseQuantity(text) as Quantity;
  return quantity.denominator === 1n ? String(quantity.numerator) : `${quantity.numerator}/${quantity.denominator}`;
}

function compare(a: string, b: string): number {
  return compareQuantities(parseQuantity(a) as Quantity, parseQuantity(b) as Quantity);
}

describe('parseQuantity', () => {
  it.each([
    ['10Gi', '10737418240'],
    ['1Ki', '1024'],
    ['1Ei', String(2n ** 60n)],
    ['1.5Gi', '1610612736'],
    ['1G', '1000000000'],
    ['1k', '1000'],
    ['1E', '1000000000000000000'],
    ['5', '5'],
    ['0', '0'],
    ['1e3', '1000'],
    ['1E3', '1000'],
    ['12e-1', '6/5'],
    ['500m', '1/2'],
    ['1n', '1/1000000000'],
    ['.5', '1/2'],
    ['2.', '2'],
    ['+3Mi', '3145728'],
    ['-1', '-1'],
    ['123456789012345678901234567890', '123456789012345678901234567890'],
  ])('%s is exactly %s', (text, value) => {
    expect(exact(text)).toBe(value);
  });

  it.each(['', 'Gi', '10 Gi', '10GB', '10gi', '1.2.3', '1e', 'e3', '0x10', '10Ki2', '1e99999', 'NaN', '∞'])('refuses %j', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});

describe('compareQuantities', () => {
  it('orders binary and decimal suffixes, exponents and plain bytes exactly', () => {
    expect(compare('10Gi', '10737418240')).toBe(0);
    expect(compare('1G', '1Gi')).toBe(-1);
    expect(compare('1Gi', '1073741823')).toBe(1);
    expect(compare('1.5Gi', '1536Mi')).toBe(0);
    expect(compare('1e9', '1G')).toBe(0);
    expect(compare('999m', '1')).toBe(-1);
    expect(compare('5Gi', '10Gi')).toBe(-1);
    expect(compare('1Ei', '1E')).toBe(1);
  });
});
