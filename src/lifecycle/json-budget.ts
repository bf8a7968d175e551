/**
 * A budget for a review's JSON, checked on the raw bytes before JSON.parse: a body within the size
 * limit can still hold a million keys or deep nesting, and parsing and walking that holds the event
 * loop for a second or more (every other review and the probes wait). One pass over the bytes costs
 * a few milliseconds for the largest body the size limit lets in.
 */
export interface JsonBudget {
  /** Values and members (counted as commas and openings): a 1 MiB object dense with managedFields has about 50,000. */
  readonly maxValues: number;
  /** Nesting of objects and arrays: a real review nests about 10 levels. */
  readonly maxDepth: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** What each byte means outside a string: +1 opens, -1 closes, 2 separates, 0 anything else. */
const STRUCTURE = new Int8Array(256);
STRUCTURE[0x7b] = 1; // {
STRUCTURE[0x5b] = 1; // [
STRUCTURE[0x7d] = -1; // }
STRUCTURE[0x5d] = -1; // ]
STRUCTURE[0x2c] = 2; // ,

/** Why the body is over budget, or undefined when it is within it (valid JSON or not: JSON.parse says). */
export interface BudgetProblem {
  /** Too deep is malformed for a review (400); too many values is too much to parse (413). */
  readonly exceeded: 'depth' | 'values';
  readonly message: string;
}

export function jsonBudgetProblem(body: Uint8Array, budget: JsonBudget): BudgetProblem | undefined {
  let depth = 0;
  let values = 0;
  for (let index = 0; index < body.length; index += 1) {
    const byte = body[index] ?? 0;
    if (byte === QUOTE) {
      index = endOfString(body, index);
      continue;
    }
    const role = STRUCTURE[byte] ?? 0;
    if (role === 0) continue;
    if (role === -1) depth -= 1;
    else values += 1;
    if (role === 1 && (depth += 1) > budget.maxDepth) {
      return { exceeded: 'depth', message: `body: nests deeper than ${budget.maxDepth} levels (a review nests about 10)` };
    }
    if (values > budget.maxValues) {
      return {
        exceeded: 'values',
        message: `it holds more than ${budget.maxValues} values (a review of objects etcd can store holds far fewer)`,
      };
    }
  }
  return undefined;
}

/** The index of the quote that ends the string opened at `start` (or the end of the body). */
function endOfString(body: Uint8Array, start: number): number {
  for (let index = start + 1; index < body.length; index += 1) {
    const byte = body[index];
    if (byte === BACKSLASH) index += 1;
    else if (byte === QUOTE) return index;
  }
  return body.length;
}
