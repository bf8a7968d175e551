import { runParsed } from '../args.ts';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { getFromApi, sendToApi } from '../../cluster/api-request.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, describeError } from '../../errors.ts';
import { connectToCluster } from '../connect.ts';
import type { Command, CommandIO } from '../io.ts';
import { CHECK_USAGE, parseCheckArgs, type CheckOptions } from './args.ts';
import { judge, type CheckVerdict } from './verdict.ts';

const PREFIX = 'snapshot-webhook check';
const GROUP_VERSION = '/apis/snapshot.storage.k8s.io/v1';
/** Between tries: pods become ready and caBundles get written within seconds. */
const RETRY_MS = 2000;
const REQUEST_TIMEOUT_MS = 10_000;

/** `snapshot-webhook check`: does the API server call the webhook and hear its answer? */
export const runCheck: Command = async (args, io) => {
  return runParsed({ name: 'check', usage: CHECK_USAGE }, parseCheckArgs(args, io.env), io, (options) => check(options, io));
};

async function check(options: CheckOptions, io: CommandIO): Promise<number> {
  const kubeConfig = connectToCluster(options.kubeconfig, io);
  if (typeof kubeConfig === 'string') {
    io.stderr.write(`${PREFIX}: ${kubeConfig}\n`);
    return EXIT_USAGE;
  }
  const deadline = performance.now() + options.timeoutMs;
  // A class name no cluster has: the webhook warns about it, and only the webhook does.
  const className = `snapshot-webhook-check-${randomBytes(4).toString('hex')}`;
  let verdict: CheckVerdict;
  for (let attempt = 1; ; attempt += 1) {
    verdict = await tryOnce(kubeConfig, options.namespace, className);
    if (verdict.kind !== 'waiting') break;
    if (performance.now() + RETRY_MS > deadline) break;
    if (attempt === 1) io.stderr.write(`${PREFIX}: not yet: ${verdict.message}; trying again every ${RETRY_MS / 1000} s\n`);
    await sleep(RETRY_MS);
  }
  if (verdict.kind === 'passed') {
    io.stdout.write(`${PREFIX}: ok: ${verdict.message}\n`);
    return EXIT_OK;
  }
  io.stderr.write(`${PREFIX}: FAILED: ${verdict.message}\n`);
  return EXIT_FAILURE;
}

async function tryOnce(kubeConfig: KubeConfig, namespace: string, className: string): Promise<CheckVerdict> {
  try {
    const group = await getFromApi(kubeConfig, GROUP_VERSION, { timeoutMs: REQUEST_TIMEOUT_MS });
    if (group.status === 404) {
      return {
        kind: 'passed',
        message:
          'the snapshot CRDs (snapshot.storage.k8s.io/v1) are not installed: nothing for the webhook to check yet; install them and the snapshot controller first',
      };
    }
    const response = await sendToApi(kubeConfig, {
      method: 'POST',
      path: `${GROUP_VERSION}/namespaces/${namespace}/volumesnapshots`,
      query: { dryRun: 'All' },
      body: {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        metadata: { name: className, namespace },
        spec: { volumeSnapshotClassName: className, source: { persistentVolumeClaimName: className } },
      },
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    return judge(response, className);
  } catch (error) {
    return { kind: 'waiting', message: `the API server did not answer: ${describeError(error)}` };
  }
}
