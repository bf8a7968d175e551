import { DEFAULT_PAGE_SIZE } from '../cluster-objects.ts';
import { UsageError, type ParsedCommandArgs } from '../args.ts';
import { parseCommandArgs, readCommandLine, type CommandLine } from '../command-line.ts';

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
    not "true", an empty selector), which do not change the exit status;
  - every PersistentVolumeClaim that is Pending with a data source (a restore or a clone) and
    breaks a rule the webhook applies to restores and clones (smaller than the snapshot's
    restoreSize, another driver, another StorageClass or volume mode than its source): it will
    never be provisioned. Needs list on PVCs and get on what they name; without, a note says so.

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

const OPTIONS = {
  kubeconfig: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'page-size': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseAuditArgs(args: readonly string[]): ParsedAuditArgs {
  return parseCommandArgs(() => readCommandLine(args, OPTIONS), checked);
}

function checked(line: CommandLine): AuditOptions {
  const [unexpected] = line.positionals;
  if (unexpected !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(unexpected)}: audit reads a cluster, not files`);
  const kubeconfig = line.last('kubeconfig');
  if (kubeconfig === '') throw new UsageError('--kubeconfig needs a path');
  const output = line.last('output') ?? 'table';
  if (output !== 'table' && output !== 'json') throw new UsageError(`--output must be table or json, not ${JSON.stringify(output)}`);
  const pageSize = line.last('page-size') ?? String(DEFAULT_PAGE_SIZE);
  if (!/^[1-9]\d{0,5}$/.test(pageSize)) {
    throw new UsageError(`--page-size must be a whole number from 1 to 999999, not ${JSON.stringify(pageSize)}`);
  }
  return { kubeconfig, output, pageSize: Number(pageSize) };
}
