import { UsageError, type ParsedCommandArgs } from '../args.ts';
import { parseCommandArgs, readCommandLine, type CommandLine } from '../command-line.ts';

/** The command line of `snapshot-webhook check`. */
export const CHECK_USAGE = `Usage: snapshot-webhook check [--kubeconfig <file>] [--namespace <ns>] [--timeout-seconds <s>]

Checks the whole path a user's request takes: asks the API server for a server-side dry run of
a VolumeSnapshot (nothing is stored) whose class does not exist, and passes once the webhook's
warning about that class comes back, which proves that the API server called the webhook and
got its answer. Until then it tries again every few seconds, and at the deadline it fails with
what stood in the way: no ready pod, a certificate the API server does not trust, a network path
that is blocked, or a configuration that does not send VolumeSnapshots to the webhook. When the
snapshot CRDs are not installed it says so and passes. The Helm chart runs it after install and
upgrade, and as its test.

Options:
  --kubeconfig <file>        The cluster. Without it, the in-cluster service account.
  -n, --namespace <ns>       Where the dry run creates its VolumeSnapshot (default: $POD_NAMESPACE,
                             else default). Needs create on volumesnapshots there.
  --timeout-seconds <s>      How long to keep trying (default 120).
  -h, --help                 Print this text.

Exit status: 0 the webhook answered (or there are no snapshot CRDs), 1 it did not by the
deadline, 2 usage error or no usable kubeconfig.
`;

export interface CheckOptions {
  readonly kubeconfig: string | undefined;
  readonly namespace: string;
  readonly timeoutMs: number;
}

const OPTIONS = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'timeout-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function parseCheckArgs(args: readonly string[], env: NodeJS.ProcessEnv): ParsedCommandArgs<CheckOptions> {
  return parseCommandArgs(
    () => readCommandLine(args, OPTIONS),
    (line) => checked(line, env),
  );
}

function checked(line: CommandLine, env: NodeJS.ProcessEnv): CheckOptions {
  const [unexpected] = line.positionals;
  if (unexpected !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(unexpected)}`);
  const kubeconfig = line.last('kubeconfig');
  if (kubeconfig === '') throw new UsageError('--kubeconfig needs a path');
  const namespace = line.last('namespace') ?? (env.POD_NAMESPACE || 'default');
  if (!NAMESPACE.test(namespace)) throw new UsageError(`--namespace must be a namespace name, not ${JSON.stringify(namespace)}`);
  const timeout = line.last('timeout-seconds') ?? '120';
  const seconds = Number(timeout);
  if (!/^\d+(\.\d+)?$/.test(timeout) || seconds <= 0 || seconds > 3600) {
    throw new UsageError(`--timeout-seconds must be a number of seconds from 0 to 3600 (not 0), not ${JSON.stringify(timeout)}`);
  }
  return { kubeconfig, namespace, timeoutMs: seconds * 1000 };
}
