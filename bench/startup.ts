/**
 * Start-up and idle memory of the production build (`node dist/main.js`), each start a fresh
 * process: time from spawn to /readyz 200 and to the first review answered, and resident memory
 * once idle. Three setups: no cluster at all, the fake API server holding 100 classes, and 10,000.
 *
 *   node bench/startup.ts [--runs N] [--webhook-node-flags F]   (after npm run build)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startCluster, type BenchCluster } from './cluster.ts';
import { postHttp1 } from './preflight.ts';
import { memoryOf, startWebhook, stopProcess, waitReady, writeCertificates, type CertificateFiles } from './processes.ts';
import { volumeSnapshotUpdate } from './scenarios.ts';
import { median } from './statistics.ts';

export interface StartupPoint {
  readonly setup: string;
  readonly runs: number;
  /** Medians over the runs, ms after spawn. */
  readonly readyMs: number;
  readonly firstReviewMs: number;
  /** Median resident memory 2 s after the first review, bytes. */
  readonly idleRssBytes: number;
}

export interface StartupSetup {
  readonly directory: string;
  readonly certificates: CertificateFiles;
  readonly runs: number;
  readonly webhookNodeFlags: readonly string[];
  readonly log: (line: string) => void;
}

/** Time for a started process to settle (lazy compilation, the first GCs) before its RSS is read. */
const SETTLE_MS = 2000;

interface Sample {
  readonly readyMs: number;
  readonly firstReviewMs: number;
  readonly idleRssBytes: number;
}

async function sample(setup: StartupSetup, kubeconfig: string, name: string): Promise<Sample> {
  const webhook = await startWebhook(
    { directory: setup.directory, certificates: setup.certificates, kubeconfig, logLevel: 'info', nodeFlags: setup.webhookNodeFlags },
    name,
  );
  try {
    const readyAt = await waitReady(webhook, 30_000, 1);
    const reply = await postHttp1(webhook.admissionPort, setup.certificates.caCert, volumeSnapshotUpdate().body);
    const answeredAt = Date.now();
    if (reply.status !== 200) throw new Error(`${name}: first review got HTTP ${reply.status}: ${reply.body.slice(0, 200)}`);
    await sleep(SETTLE_MS);
    return { readyMs: readyAt - webhook.spawnedAt, firstReviewMs: answeredAt - webhook.spawnedAt, idleRssBytes: memoryOf(webhook.pid).rss };
  } finally {
    await stopProcess(webhook);
  }
}

async function point(setup: StartupSetup, name: string, cluster: BenchCluster | undefined): Promise<StartupPoint> {
  const samples: Sample[] = [];
  for (let run = 0; run < setup.runs; run += 1) samples.push(await sample(setup, cluster?.kubeconfig ?? '', `startup-${name}-${run}`));
  const result = {
    setup: name,
    runs: setup.runs,
    readyMs: median(samples.map((entry) => entry.readyMs)),
    firstReviewMs: median(samples.map((entry) => entry.firstReviewMs)),
    idleRssBytes: median(samples.map((entry) => entry.idleRssBytes)),
  };
  setup.log(
    `[startup ${name}] ready ${result.readyMs} ms, first review ${result.firstReviewMs} ms, idle RSS ${(result.idleRssBytes / 2 ** 20).toFixed(1)} MiB (medians of ${setup.runs})`,
  );
  return result;
}

const CLASS_COUNTS = [100, 10_000];

export async function runStartup(setup: StartupSetup): Promise<StartupPoint[]> {
  const points = [await point(setup, 'no cluster', undefined)];
  for (const classes of CLASS_COUNTS) {
    const cluster = await startCluster(setup.directory, classes);
    try {
      points.push(await point(setup, `${classes} classes`, cluster));
    } finally {
      await cluster.close();
    }
  }
  return points;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, 'webhook-node-flags': { type: 'string', default: '' } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive whole number, not ${values.runs}`);
  const directory = await mkdtemp(join(tmpdir(), 'snapshot-webhook-startup-'));
  try {
    const certificates = await writeCertificates(directory);
    const webhookNodeFlags = values['webhook-node-flags'].split(' ').filter((flag) => flag !== '');
    await runStartup({ directory, certificates, runs, webhookNodeFlags, log: (line) => console.log(line) });
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
