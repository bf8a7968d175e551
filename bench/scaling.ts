/**
 * How the webhook grows with its class cache: for 1, 100 and 10,000 VolumeSnapshotClasses (stored
 * in the fake API server before start, listed in pages of 500), a fresh webhook: time to serve and
 * to be ready, RSS idle, then the second-default review at 1 connection (the cache lookups) and
 * the mix at 50 connections (memory under load), with the decision time from its histogram.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScalingLoad, ScalingPoint } from './aggregate.ts';
import { startCluster } from './cluster.ts';
import type { HttpLoadGenerator } from './load.ts';
import { scrape } from './metrics.ts';
import { memoryOf, startWebhook, stopProcess, waitReady, type CertificateFiles, type ServerProcess } from './processes.ts';
import { HTTP1_SHAPES, measure, type Shape } from './runner.ts';
import type { Scenario } from './scenarios.ts';

export interface ScalingSetup {
  readonly directory: string;
  readonly certificates: CertificateFiles;
  readonly classCounts: readonly number[];
  readonly scenarios: readonly Scenario[];
  readonly http: HttpLoadGenerator;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly webhookNodeFlags: readonly string[];
  readonly log: (line: string) => void;
}

function scenario(setup: ScalingSetup, name: string): Scenario {
  const found = setup.scenarios.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no scenario ${name}`);
  return found;
}

/** Long enough at one connection for a p99 of about a hundred decisions. */
const DECISION_SECONDS = 3;

async function load(setup: ScalingSetup, server: ServerProcess, which: Scenario, shape: Shape): Promise<ScalingLoad> {
  const durationSeconds = shape.connections === 1 ? Math.max(setup.durationSeconds, DECISION_SECONDS) : setup.durationSeconds;
  const spec = { protocol: 'http1' as const, scenario: which, shape, round: 1, role: 'webhook' as const, server, durationSeconds };
  const run = await measure({ http: setup.http }, spec);
  const decision = run.decision ?? { count: 0, p50: 0, p99: 0, within100us: 0 };
  return {
    scenario: which.name,
    shape: shape.label,
    requestsPerSecond: run.load.requestsPerSecond,
    latencyMs: run.load.latencyMs,
    decision,
    cpuUsPerRequest: run.cpuUsPerRequest,
    peakRssBytes: run.peakRssBytes,
    verified: run.verified,
  };
}

async function point(setup: ScalingSetup, classes: number): Promise<ScalingPoint> {
  const cluster = await startCluster(setup.directory, classes);
  try {
    const webhook = await startWebhook(
      {
        directory: setup.directory,
        certificates: setup.certificates,
        kubeconfig: cluster.kubeconfig,
        logLevel: 'info',
        nodeFlags: setup.webhookNodeFlags,
      },
      `webhook-${classes}-classes`,
    );
    try {
      const readyAt = await waitReady(webhook);
      await sleep(1000);
      const idleRssBytes = memoryOf(webhook.pid).rss;
      const cacheSize = (await scrape(webhook.metricsPort)).snapshotClasses;
      const [one, fifty] = HTTP1_SHAPES as [Shape, Shape];
      const mix = scenario(setup, 'mix');
      const url = `https://127.0.0.1:${webhook.admissionPort}/validate?timeout=3s`;
      await setup.http.run({
        url,
        connections: 50,
        durationSeconds: setup.warmupSeconds,
        bodies: mix.reviews.map((review) => review.body),
      });
      const loads = [await load(setup, webhook, scenario(setup, 'class-second-default'), one), await load(setup, webhook, mix, fifty)];
      const result = {
        classes,
        cacheSize,
        servingMs: webhook.servingAt - webhook.spawnedAt,
        readyMs: readyAt - webhook.spawnedAt,
        readyAfterListMs: readyAt - cluster.lastClassListAt(),
        idleRssBytes,
        loads,
      };
      setup.log(
        `[classes ${classes}] cache ${cacheSize}, ready ${result.readyMs} ms after start (${result.readyAfterListMs} ms after the last LIST), ` +
          `idle RSS ${(idleRssBytes / 2 ** 20).toFixed(1)} MiB; ` +
          loads
            .map(
              (entry) =>
                `${entry.scenario} ${entry.shape}: decision p99 ${(entry.decision.p99 * 1000).toFixed(0)} µs, peak RSS ${(entry.peakRssBytes / 2 ** 20).toFixed(1)} MiB`,
            )
            .join('; '),
      );
      return result;
    } finally {
      await stopProcess(webhook);
    }
  } finally {
    await cluster.close();
  }
}

export async function runScaling(setup: ScalingSetup): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  for (const classes of setup.classCounts) points.push(await point(setup, classes));
  return points;
}
