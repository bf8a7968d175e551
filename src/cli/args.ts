import { EXIT_OK, EXIT_USAGE, WebhookError } from '../errors.ts';
import type { CommandIO } from './io.ts';

/** What the commands' argument parsers share: the outcome type and how a usage error travels. */
export type ParsedCommandArgs<Options> =
  | { readonly kind: 'help' }
  | { readonly kind: 'run'; readonly options: Options }
  | { readonly kind: 'usage-error'; readonly message: string };

/** Thrown while parsing; parseCommandArgs (command-line.ts) turns it into a usage-error outcome (exit 2). */
export class UsageError extends WebhookError {
  constructor(message: string) {
    super('USAGE', message);
    this.name = 'UsageError';
  }
}

/** --help prints the usage; a bad command line prints why and how to get help (exit 2); else the command runs. */
export async function runParsed<Options>(
  { name, usage }: { readonly name: string; readonly usage: string },
  parsed: ParsedCommandArgs<Options>,
  io: CommandIO,
  run: (options: Options) => Promise<number>,
): Promise<number> {
  if (parsed.kind === 'help') {
    io.stdout.write(usage);
    return EXIT_OK;
  }
  if (parsed.kind === 'usage-error') {
    io.stderr.write(`snapshot-webhook ${name}: ${parsed.message}\nRun "snapshot-webhook ${name} --help" for usage.\n`);
    return EXIT_USAGE;
  }
  return run(parsed.options);
}
