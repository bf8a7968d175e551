import { parseArgs } from 'node:util';
import { UsageError, type ParsedCommandArgs } from './args.ts';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

/** A command's arguments as node:util parseArgs reads them, with this CLI's usage errors. */
export class CommandLine {
  readonly positionals: readonly string[];
  private readonly values: ReadonlyMap<string, ReadonlyArray<string | undefined>>;

  constructor(positionals: readonly string[], values: ReadonlyMap<string, ReadonlyArray<string | undefined>>) {
    this.positionals = positionals;
    this.values = values;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** Every value given for a repeatable option, in order. */
  all(name: string): string[] {
    return (this.values.get(name) ?? []).filter((value) => value !== undefined);
  }

  /** The value given last (a later option overrides an earlier one); for a flag, its `=value` if any. */
  last(name: string): string | undefined {
    return this.values.get(name)?.at(-1);
  }
}

/**
 * Parses leniently (so that an unknown option or a missing value gets this CLI's wording rather
 * than parseArgs' own) and then refuses what strict parsing would.
 */
export function readCommandLine(args: readonly string[], options: Readonly<Record<string, OptionSpec>>): CommandLine {
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const positionals: string[] = [];
  const values = new Map<string, Array<string | undefined>>();
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (spec === undefined) throw new UsageError(`unknown option ${token.rawName}`);
    if (spec.type === 'string' && token.value === undefined) throw new UsageError(`${token.rawName} needs a value`);
    values.set(token.name, [...(values.get(token.name) ?? []), token.value]);
  }
  return new CommandLine(positionals, values);
}

/** Reads the command line and checks it: help, options to run with, or a usage error (exit 2). */
export function parseCommandArgs<Options>(read: () => CommandLine, check: (line: CommandLine) => Options): ParsedCommandArgs<Options> {
  try {
    const line = read();
    if (line.has('help')) return { kind: 'help' };
    return { kind: 'run', options: check(line) };
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'usage-error', message: error.message };
    throw error;
  }
}
