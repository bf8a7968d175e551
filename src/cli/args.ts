/** What the commands' argument parsers share: the outcome type and how a usage error travels. */
export type ParsedCommandArgs<Options> =
  | { readonly kind: 'help' }
  | { readonly kind: 'run'; readonly options: Options }
  | { readonly kind: 'usage-error'; readonly message: string };

/** Thrown while parsing; parseCommandArgs turns it into a usage-error outcome (exit 2). */
export class UsageError extends Error {}

export function parseCommandArgs<Collected extends { readonly help: boolean }, Options>(
  collect: () => Collected,
  check: (collected: Collected) => Options,
): ParsedCommandArgs<Options> {
  try {
    const collected = collect();
    if (collected.help) return { kind: 'help' };
    return { kind: 'run', options: check(collected) };
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'usage-error', message: error.message };
    throw error;
  }
}
