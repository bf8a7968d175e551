import { STDIN_PATH } from './validate-inputs.ts';
import { parseCommandArgs, UsageError, type ParsedCommandArgs } from './args.ts';

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
                          contain classes.
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

interface Collected {
  paths: string[];
  against: string[];
  kubeconfig: string | undefined;
  output: string;
  preventVolumeModeConversion: boolean;
  help: boolean;
}

const VALUE_OPTIONS = new Set(['--against', '--kubeconfig', '--output', '-o']);
const BOOLEAN_OPTIONS = new Set(['--prevent-volume-mode-conversion', '--help', '-h']);

export function parseValidateArgs(args: readonly string[]): ParsedArgs {
  return parseCommandArgs(() => collect(args), checked);
}

function collect(args: readonly string[]): Collected {
  const collected: Collected = {
    paths: [],
    against: [],
    kubeconfig: undefined,
    output: 'text',
    preventVolumeModeConversion: true,
    help: false,
  };
  for (let index = 0; index < args.length; index += 1) {
    const token = args[index] ?? '';
    if (token === '--') {
      collected.paths.push(...args.slice(index + 1));
      break;
    }
    if (token === STDIN_PATH || !token.startsWith('-')) {
      collected.paths.push(token);
      continue;
    }
    index += collectOption(collected, token, args[index + 1]);
  }
  return collected;
}

/** Applies one option; returns 1 when it took the next argument as its value. */
function collectOption(collected: Collected, token: string, next: string | undefined): number {
  const [name, inline] = splitOption(token);
  if (BOOLEAN_OPTIONS.has(name)) {
    setFlag(collected, name, inline);
    return 0;
  }
  if (!VALUE_OPTIONS.has(name)) throw new UsageError(`unknown option ${name}`);
  const value = inline ?? next;
  if (value === undefined) throw new UsageError(`${name} needs a value`);
  setValue(collected, name, value);
  return inline === undefined ? 1 : 0;
}

function splitOption(token: string): [string, string | undefined] {
  const equals = token.indexOf('=');
  return equals < 0 ? [token, undefined] : [token.slice(0, equals), token.slice(equals + 1)];
}

function setValue(collected: Collected, name: string, value: string): void {
  if (name === '--against') {
    const paths = value.split(',').filter((path) => path !== '');
    if (paths.length === 0) throw new UsageError('--against needs a path');
    collected.against.push(...paths);
  } else if (name === '--kubeconfig') {
    if (value === '') throw new UsageError('--kubeconfig needs a path');
    collected.kubeconfig = value;
  } else {
    collected.output = value;
  }
}

function setFlag(collected: Collected, name: string, inline: string | undefined): void {
  if (name !== '--prevent-volume-mode-conversion') {
    collected.help = true;
    return;
  }
  if (inline !== undefined && inline !== 'true' && inline !== 'false') {
    throw new UsageError(`${name} takes true or false, not ${JSON.stringify(inline)}`);
  }
  collected.preventVolumeModeConversion = inline !== 'false';
}

function checked(collected: Collected): ValidateOptions {
  if (collected.paths.length === 0) {
    throw new UsageError('no manifests given: name files or directories, or - to read stdin');
  }
  if (collected.output !== 'text' && collected.output !== 'json') {
    throw new UsageError(`--output must be text or json, not ${JSON.stringify(collected.output)}`);
  }
  const stdinUses = [...collected.paths, ...collected.against].filter((path) => path === STDIN_PATH).length;
  if (stdinUses > 1) throw new UsageError('stdin (-) can be read only once');
  const { paths, against, kubeconfig, output, preventVolumeModeConversion } = collected;
  return { paths, against, kubeconfig, output, preventVolumeModeConversion };
}
