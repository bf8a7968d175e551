import { runParsed } from '../args.ts';
import { resolve } from 'node:path';
import { loadSchemas } from '../../schemas.ts';
import type { Command, CommandIO } from '../io.ts';
import { parseValidateArgs, VALIDATE_USAGE } from './args.ts';
import type { ValidateOptions } from './args.ts';
import { checkManifests } from './check.ts';
import { listClusterClasses } from './cluster.ts';
import { readClusterObjects } from './cluster-lookups.ts';
import { manifestObjects } from './manifest-objects.ts';
import type { ClusterClasses } from './cluster.ts';
import { readManifests } from './inputs.ts';
import { buildReport, reportText } from './report.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, describeError } from '../../errors.ts';

/**
 * `snapshot-webhook validate`: the webhook's rules on manifests, before they reach a cluster
 * (in CI, in a pre-commit hook). Exit 0 when there is no error (warnings allowed), 1 when there is,
 * 2 when the command line is wrong or an input cannot be read — then nothing is checked.
 */
export const runValidate: Command = async (args, io) => {
  return runParsed({ name: 'validate', usage: VALIDATE_USAGE }, parseValidateArgs(args), io, (options) => validate(options, io));
};

async function validate(options: ValidateOptions, io: CommandIO): Promise<number> {
  const current = await readManifests(options.paths, io);
  const previous = await readManifests(options.against, io);
  for (const note of [...current.notes, ...previous.notes]) io.stderr.write(`snapshot-webhook validate: note: ${note}\n`);
  const problems = [...current.problems, ...previous.problems];
  if (problems.length > 0) {
    for (const problem of problems) io.stderr.write(`snapshot-webhook validate: ${problem}\n`);
    return EXIT_USAGE;
  }
  const cluster = await clusterClasses(options, io);
  if (cluster === 'failed') return EXIT_USAGE;
  const manifests = current.files.flatMap((file) => file.manifests);
  const objects = manifestObjects(manifests);
  if (cluster !== null) await readClusterObjects(cluster.kubeConfig, manifests, objects);
  const result = checkManifests({
    manifests,
    objects,
    previous: previous.files.flatMap((file) => file.manifests),
    cluster,
    options: { preventVolumeModeConversion: options.preventVolumeModeConversion },
    schemas: loadSchemas(),
  });
  const report = buildReport(current.files, result);
  io.stdout.write(options.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : reportText(report));
  return report.summary.errors > 0 ? EXIT_FAILURE : EXIT_OK;
}

async function clusterClasses(options: ValidateOptions, io: CommandIO): Promise<ClusterClasses | null | 'failed'> {
  if (options.kubeconfig === undefined) return null;
  try {
    return await listClusterClasses(resolve(io.cwd, options.kubeconfig));
  } catch (error) {
    io.stderr.write(`snapshot-webhook validate: ${describeError(error)}\n`);
    return 'failed';
  }
}
