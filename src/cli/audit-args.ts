import { DEFAULT_PAGE_SIZE } from './cluster-objects.ts';
import { parseCommandArgs, UsageError, type ParsedCommandArgs } from './args.ts';

/** The command line of `snapshot-webhook audit`. */
export const AUDIT_USAGE = `Usage: snapshot-webhook audit [--kubeconfig <file>] [--output table|json]

Lists the VolumeSnapshots, VolumeSnapshotContents and VolumeSnapshotClasses
(snapshot.storage.k8s.io/v1) and the VolumeGroupSnapshots, VolumeGroupSnapshotContents and
VolumeGroupSnapshotClasses (the newest groupsnapshot.storage.k8s.io version the cluster serves;
skipped, with a note, when those CRDs are not installed) of a cluster, read only, and reports:
  - every stored object that breaks a rule the webhook applies on creation (exactly one source,
    valid names, references and selectors): objects stored before the webhook or the CRDs' CEL
    rules existed, which updates are still allowed to keep;
  - every CSI driver with more than one default class: the snapshot controller then picks none,
    and snapshots that name no class fail;
  - the webhook's warnings (a class that does not exist, an is-default-class annotation that is
    not "true", an empty selector), which do not change the exit status.

Options:
  --kubeconfig <file>        The cluster to audit. Without it, the in-cluster service account.
  -o, --output table|json    table (default): for people; json: a report for machines
                             (schemas/audit-report.schema.json).
  --page-size <n>            Objects per LIST request (default ${DEFAULT_PAGE_SIZE}).
  -h, --help                 Print this text.

Exit status: 0 nothing found (warnings allowed), 1 invalid objects or duplicate default classes
found, 2 usage error, or the cluster cannot be reached or its kubeconfig cannot be used.
`;

export type AuditOutput = 'table' | 'json';

export interface AuditOptions {
  readonly kubeconfig: string | undefined;
  readonly output: AuditOutput;
  readonly pageSize: number;
}

export type ParsedAuditArgs = ParsedCommandArgs<AuditOptions>;

interface Collected {
  kubeconfig: string | undefined;
  output: string;
  pageSize: string;
  help: boolean;
}

const VALUE_OPTIONS = new Set(['--kubeconfig', '--output', '-o', '--page-size']);

export function parseAuditArgs(args: readonly string[]): ParsedAuditArgs {
  return parseCommandArgs(() => collect(args), checked);
}

function collect(args: readonly string[]): Collected {
  const collected: Collected = { kubeconfig: undefined, output: 'table', pageSize: String(DEFAULT_PAGE_SIZE), help: false };
  for (let index = 0; index < args.length; index += 1) {
    index += collectOption(collected, args[index] ?? '', args[index + 1]);
  }
  return collected;
}

/** Applies one option; returns 1 when it took the next argument as its value. */
function collectOption(collected: Collected, token: string, next: string | undefined): number {
  if (token === '--help' || token === '-h') {
    collected.help = true;
    return 0;
  }
  if (!token.startsWith('-')) throw new UsageError(`unexpected argument ${JSON.stringify(token)}: audit reads a cluster, not files`);
  const equals = token.indexOf('=');
  const name = equals < 0 ? token : token.slice(0, equals);
  if (!VALUE_OPTIONS.has(name)) throw new UsageError(`unknown option ${name}`);
  const value = equals < 0 ? next : token.slice(equals + 1);
  if (value === undefined) throw new UsageError(`${name} needs a value`);
  setValue(collected, name, value);
  return equals < 0 ? 1 : 0;
}

function setValue(collected: Collected, name: string, value: string): void {
  if (name === '--kubeconfig') {
    if (value === '') throw new UsageError('--kubeconfig needs a path');
    collected.kubeconfig = value;
  } else if (name === '--page-size') {
    collected.pageSize = value;
  } else {
    collected.output = value;
  }
}

function checked(collected: Collected): AuditOptions {
  const { kubeconfig, output } = collected;
  if (output !== 'table' && output !== 'json') {
    throw new UsageError(`--output must be table or json, not ${JSON.stringify(output)}`);
  }
  if (!/^[1-9]\d{0,5}$/.test(collected.pageSize)) {
    throw new UsageError(`--page-size must be a whole number from 1 to 999999, not ${JSON.stringify(collected.pageSize)}`);
  }
  return { kubeconfig, output, pageSize: Number(collected.pageSize) };
}
