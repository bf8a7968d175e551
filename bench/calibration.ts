/**
 * What the ratio target leaves for the webhook's own work: the baseline against itself with a
 * fixed amount of busy CPU added per request (--spin-us), the mix at 50 connections, A/B rounds
 * as in the main section. Where the webhook's extra CPU per request falls on this curve says how
 * much of its ratio is its work, and how much work a 0.9 ratio would allow.
 */
import { median } from './statistics.ts';
import type { HttpLoadGenerator } from './load.ts';
import { REVIEW_PATH } from './preflight.ts';
import { cpuTimeMs, startBaseline, stopProcess, type CertificateFiles, type ServerProcess } from './processes.ts';
import type { Scenario } from './scenarios.ts';

export interface CalibrationSetup {
  readonly directory: string;
  readonly certificates: CertificateFiles;
  readonly mix: Scenario;
  readonly http: HttpLoadGenerator;
  readonly rounds: number;
  readonly durationSeconds: number;
  readonly log: (line: string) => void;
}

export interface CalibrationPoint {
  readonly spinUs: number;
  readonly requestsPerSecond: number;
  readonly cpuUsPerRequest: number;
  /** Median over the rounds of this server's req/s ÷ the plain baseline's in the same round. */
  readonly ratio: number;
}

export const SPIN_US: readonly number[] = [0, 10, 25, 50];

interface Sample {
  readonly requestsPerSecond: number;
  readonly cpuUsPerRequest: number;
}

async function sample(setup: CalibrationSetup, server: ServerProcess, durationSeconds: number): Promise<Sample> {
  const url = `https://127.0.0.1:${server.admissionPort}${REVIEW_PATH}`;
  const bodies = setup.mix.reviews.map((review) => review.body);
  const before = cpuTimeMs(server.pid);
  const result = await setup.http.run({ url, connections: 50, durationSeconds, bodies });
  const cpuUsPerRequest = ((cpuTimeMs(server.pid) - before) * 1000) / Math.max(1, result.requests);
  return { requestsPerSecond: result.requestsPerSecond, cpuUsPerRequest };
}

async function rounds(setup: CalibrationSetup, servers: readonly ServerProcess[]): Promise<Sample[][]> {
  const samples: Sample[][] = servers.map(() => []);
  for (const server of servers) await sample(setup, server, 1);
  for (let round = 0; round < setup.rounds; round += 1) {
    const order = servers.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) samples[index]?.push(await sample(setup, servers[index] as ServerProcess, setup.durationSeconds));
  }
  return samples;
}

export async function runCalibration(setup: CalibrationSetup): Promise<CalibrationPoint[]> {
  const servers: ServerProcess[] = [];
  try {
    for (const spinUs of SPIN_US) servers.push(await startBaseline(setup.directory, setup.certificates, [], spinUs));
    const samples = await rounds(setup, servers);
    const plain = samples[0] ?? [];
    const points = SPIN_US.map((spinUs, index) => {
      const mine = samples[index] ?? [];
      const ratios = mine.map((entry, round) => entry.requestsPerSecond / (plain[round]?.requestsPerSecond ?? Number.NaN));
      return {
        spinUs,
        requestsPerSecond: median(mine.map((entry) => entry.requestsPerSecond)),
        cpuUsPerRequest: median(mine.map((entry) => entry.cpuUsPerRequest)),
        ratio: median(ratios),
      };
    });
    setup.log(
      `[calibration] ${points.map((point) => `+${point.spinUs} µs: ${point.ratio.toFixed(2)} × (${point.cpuUsPerRequest.toFixed(0)} µs CPU/req)`).join(', ')}`,
    );
    return points;
  } finally {
    await Promise.all(servers.map((server) => stopProcess(server)));
  }
}
