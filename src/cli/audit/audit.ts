import { runParsed } from '../args.ts';
import { loadSchemas } from '../../schemas.ts';
import { AUDIT_USAGE, parseAuditArgs } from './args.ts';
import type { AuditOptions } from './args.ts';
import { buildAuditReport, foundProblems } from './report.ts';
import { scanCluster } from './scan.ts';
import type { ClusterScan } from './scan.ts';
import { reportTable } from './table.ts';
import { REQUEST_TIMEOUT_MS } from '../cluster-objects.ts';
import { connectToCluster } from '../connect.ts';
import type { Command, CommandIO } from '../io.ts';

const PREFIX = 'snapshot-webhook audit';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, describeError } from '../../errors.ts';

/**
 * `snapshot-webhook audit`: what is already in a cluster that the webhook would refuse today —
 * objects stored before it (or the CRDs' CEL rules) existed, and drivers with two default
 * classes. Read only. Exit 0 when nothing is found (warnings allowed), 1 when something is,
 * 2 when the command line is wrong or the cluster cannot be read — then nothing is reported.
 */
export const runAudit: Command = async (args, io) => {
  return runParsed({ name: 'audit', usage: AUDIT_USAGE }, parseAuditArgs(args), io, (options) => audit(options, io));
};

async function audit(options: AuditOptions, io: CommandIO): Promise<number> {
  const kubeConfig = connectToCluster(options.kubeconfig, io);
  if (typeof kubeConfig === 'string') {
    io.stderr.write(`${PREFIX}: ${kubeConfig}\n`);
    return EXIT_USAGE;
  }
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  let scan: ClusterScan;
  try {
    scan = await scanCluster(kubeConfig, { list: { pageSize: options.pageSize, timeoutMs: REQUEST_TIMEOUT_MS }, schemas: loadSchemas() });
  } catch (error) {
    io.stderr.write(`${PREFIX}: cannot read the snapshot objects of ${server}: ${describeError(error)}\n`);
    return EXIT_USAGE;
  }
  const report = buildAuditReport(server, scan);
  io.stdout.write(options.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : reportTable(report));
  return foundProblems(report) ? EXIT_FAILURE : EXIT_OK;
}
