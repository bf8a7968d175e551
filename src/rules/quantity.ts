/**
 * Kubernetes resource quantities ("10Gi", "1.5G", "1e3", "500m"), compared exactly: as fractions
 * of BigInts, never as floating point, so that 10Gi = 10737418240 and 1G < 1Gi hold at any size.
 */
export interface Quantity {
  /** value = numerator / denominator, denominator > 0. */
  readonly numerator: bigint;
  readonly denominator: bigint;
}

const BINARY: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const GRAMMAR = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d{1,4}))?$/u;

/** The quantity a string spells, or undefined when it is not one (the API server would refuse it). */
export function parseQuantity(text: string): Quantity | undefined {
  const match = GRAMMAR.exec(text.trim());
  if (match === null) return undefined;
  const [, sign, number = '', suffix, exponent] = match;
  const [whole = '', fraction = ''] = number.split('.');
  const digits = BigInt(`${sign ?? ''}${whole}${fraction}` || '0');
  const { binary, decimal } = scaleOf(suffix, exponent);
  const numerator = digits * 2n ** BigInt(binary);
  const power10 = decimal - fraction.length;
  if (power10 >= 0) return { numerator: numerator * 10n ** BigInt(power10), denominator: 1n };
  return reduced(numerator, 10n ** BigInt(-power10));
}

/** The suffix or exponent as powers of 2 and of 10. */
function scaleOf(suffix: string | undefined, exponent: string | undefined): { binary: number; decimal: number } {
  if (exponent !== undefined) return { binary: 0, decimal: Number(exponent) };
  const binary = BINARY[suffix ?? ''];
  return binary === undefined ? { binary: 0, decimal: DECIMAL[suffix ?? ''] ?? 0 } : { binary, decimal: 0 };
}

function reduced(numerator: bigint, denominator: bigint): Quantity {
  const divisor = gcd(numerator < 0n ? -numerator : numerator, denominator);
  return { numerator: numerator / divisor, denominator: denominator / divisor };
}

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}

/** Negative, zero or positive as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}
