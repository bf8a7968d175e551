/** What the commands' argument parsers share: the outcome type and how a usage error travels. */
export type ParsedCommandArgs<Options> =
  | { readonly kind: 'help' }
  | { readonly kind: 'run'; readonly options: Options }
  | { readonly kind: 'usage-error'; readonly message: string };

/** Thrown while parsing; parseCommandArgs (command-line.ts) turns it into a usage-error outcome (exit 2). */
export class UsageError extends Error {}
