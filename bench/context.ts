/**
 * What every section of the bench works with: a temporary directory with certificates, the load
 * generator, the scenarios; the servers it starts; and the median the figures are made of.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeProcess, startWebhook, writeCertificates, type ServerProcess } from '../testkit/processes.ts';
import { LoadGenerator } from './load.ts';
import { REVIEW_PATH } from './measure.ts';
import { isLarge, type Scenario } from './reviews.ts';

/** A temporary directory with certificates, and the load generator: what every section works with. */
export async function openContext(
  scenarios: readonly Scenario[],
  webhookNodeFlags: readonly string[],
  quick: boolean,
  log: (line: string) => void,
) {
  const directory = await mkdtemp(join(tmpdir(), 'snapshot-webhook-bench-'));
  const generator = new LoadGenerator();
  const close = async () => {
    await generator.stop();
    await rm(directory, { recursive: true, force: true });
  };
  const certificates = await writeCertificates(directory);
  return { directory, certificates, generator, scenarios, webhookNodeFlags, warmupSeconds: quick ? 1 : 2, log, close };
}

export type Context = Awaited<ReturnType<typeof openContext>>;

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length === 0 ? Number.NaN : ((sorted[Math.ceil(middle) - 1] ?? 0) + (sorted[Math.floor(middle)] ?? 0)) / 2;
};
/** Bytes in MiB with one decimal, without the unit; '–' for a figure not measured. */
export const mib = (bytes: number): string => (Number.isNaN(bytes) ? '–' : (bytes / 2 ** 20).toFixed(1));

export function startBaseline(context: Context, spinUs = 0, nodeFlags: readonly string[] = []): Promise<ServerProcess> {
  const { certFile, keyFile } = context.certificates;
  const args = ['bench/baseline-server.ts', '--tls-cert-file', certFile, '--tls-private-key-file', keyFile, '--spin-us', String(spinUs)];
  const name = spinUs === 0 ? 'baseline' : `baseline-spin-${spinUs}us`;
  return startNodeProcess({ name, directory: context.directory, args, nodeFlags, servingMessage: 'baseline serving' });
}

export function startBenchWebhook(context: Context, kubeconfig: string, name = 'webhook', extraFlags: readonly string[] = []) {
  const { directory, certificates } = context;
  return startWebhook({ name, directory, certificates, kubeconfig, nodeFlags: [...context.webhookNodeFlags, ...extraFlags] });
}

/** JIT warm-up: every small scenario at 50 connections, the mix longer. Not the large object: the heap it grows would count as the small reviews'. */
export async function warmUp(context: Context, server: ServerProcess, names?: readonly string[]): Promise<void> {
  const url = `https://127.0.0.1:${server.admissionPort}${REVIEW_PATH}`;
  for (const scenario of context.scenarios.filter((candidate) => !isLarge(candidate) && (names?.includes(candidate.name) ?? true))) {
    const durationSeconds = scenario.name === 'mix' ? context.warmupSeconds : Math.min(0.5, context.warmupSeconds);
    await context.generator.run({ url, connections: 50, durationSeconds, bodies: scenario.reviews.map((review) => review.body) });
  }
}
