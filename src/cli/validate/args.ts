import { STDIN_PATH } from './inputs.ts';
import { UsageError, type ParsedCommandArgs } from '../args.ts';
import { parseCommandArgs, readCommandLine, type CommandLine } from '../command-line.ts';

/** The command line of `snapshot-webhook validate`. */
export const VALIDATE_USAGE = `Usage: snapshot-webhook validate [options] <path>... | -

Checks the VolumeSnapshots, VolumeSnapshotContents, VolumeSnapshotClasses and their group
snapshot counterparts in manifests with the rules the webhook applies, before they reach a
cluster. A path is a YAML or JSON file (several documents, List kinds), a directory (searched
recursively for *.yaml, *.yml and *.json; hidden directories skipped), or - for stdin.
Objects of other kinds are counted and ignored.

Options:
  --against <paths>       The previous version of the manifests (repeatable or comma-separated).
                          An object found there with the same group, kind, namespace and name is
                          checked as an UPDATE of it, so a change to an immutable field fails.
  --kubeconfig <file>     Also check against the snapshot classes of that cluster (read only):
                          a second default class for a driver, classes that do not exist. A class
                          in the manifests replaces the cluster's class of the same name.
                          Without it, missing classes are reported only when the manifests
                          contain classes. With it, what a restore, a clone or a snapshot names
                          and the files do not define (its snapshot, content, StorageClass, PVC,
                          PV) is read from the cluster, one GET each.
  -o, --output text|json  text (default): a line per problem, as kubectl prints field errors;
                          json: a report (schemas/validate-report.schema.json).
  --prevent-volume-mode-conversion[=true|false]
                          Deny changing a VolumeSnapshotContent's sourceVolumeMode on UPDATE,
                          as the webhook's flag of that name (default true).
  -h, --help              Print this text.

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error or unreadable input.
`;

export type OutputFormat = 'text' | 'json';

export interface ValidateOptions {
  readonly paths: readonly string[];
  readonly against: readonly string[];
  readonly kubeconfig: string | undefined;
  readonly output: OutputFormat;
  readonly preventVolumeModeConversion: boolean;
}

export type ParsedArgs = ParsedCommandArgs<ValidateOptions>;

const OPTIONS = {
  against: { type: 'string' },
  kubeconfig: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'prevent-volume-mode-conversion': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseValidateArgs(args: readonly string[]): ParsedArgs {
  return parseCommandArgs(() => readCommandLine(args, OPTIONS), checked);
}

function checked(line: CommandLine): ValidateOptions {
  const paths = line.positionals;
  if (paths.length === 0) throw new UsageError('no manifests given: name files or directories, or - to read stdin');
  const against = line.all('against').map((value) => value.split(',').filter((path) => path !== ''));
  if (against.some((list) => list.length === 0)) throw new UsageError('--against needs a path');
  const kubeconfig = line.last('kubeconfig');
  if (kubeconfig === '') throw new UsageError('--kubeconfig needs a path');
  const output = line.last('output') ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, not ${JSON.stringify(output)}`);
  const stdinUses = [...paths, ...against.flat()].filter((path) => path === STDIN_PATH).length;
  if (stdinUses > 1) throw new UsageError('stdin (-) can be read only once');
  return { paths, against: against.flat(), kubeconfig, output, preventVolumeModeConversion: preventFlag(line) };
}

function preventFlag(line: CommandLine): boolean {
  const value = line.last('prevent-volume-mode-conversion');
  if (value !== undefined && value !== 'true' && value !== 'false') {
    throw new UsageError(`--prevent-volume-mode-conversion takes true or false, not ${JSON.stringify(value)}`);
  }
  return value !== 'false';
}
