import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runValidate } from '../../../src/cli/validate/validate.ts';

/** Runs `validate` as main would, with buffers for stdout and stderr and a stream for stdin. */
export const FIXTURES = fileURLToPath(new URL('../../fixtures/manifests/', import.meta.url));

export interface ValidateRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout without its last line, the summary. */
  readonly problems: readonly string[];
  readonly summary: string;
}

export interface RunOptions {
  /** Paths in the arguments are relative to this; the fixtures by default. */
  readonly cwd?: string;
  readonly stdin?: string;
}

export async function validate(args: readonly string[], options: RunOptions = {}): Promise<ValidateRun> {
  let stdout = '';
  let stderr = '';
  const code = await runValidate(args, {
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: options.cwd ?? FIXTURES,
  });
  const lines = stdout.split('\n').filter((line) => line !== '');
  return { code, stdout, stderr, problems: lines.slice(0, -1), summary: lines.at(-1) ?? '' };
}

/**
 * Each line starts with the text expected of it, and there are as many: the rest of a rule's
 * message is the rule tests' business.
 */
export function expectLinesStartingWith(lines: readonly string[], prefixes: readonly string[]): void {
  expect(lines.map((line, index) => line.slice(0, prefixes[index]?.length ?? line.length))).toEqual(prefixes);
}
