/**
 * Where the time goes: the webhook and the baseline run once more under `node --cpu-prof` with the
 * mix at 50 connections; their profiles, cut to the loaded window, are summarized per request
 * (µs of CPU by area and by function). The .cpuprofile files stay for a flame graph (Chrome
 * DevTools, speedscope). Under the profiler both servers run slower: compare them with each other,
 * not with the A/B figures.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { HttpLoadGenerator } from './load.ts';
import { loadProfile, summarizeProfile, type ProfileEntry } from './profile.ts';
import { startBaseline, startWebhook, stopProcess, waitReady, type CertificateFiles, type ServerProcess } from './processes.ts';
import type { Role } from './runner.ts';
import type { Scenario } from './scenarios.ts';

export interface ProfileSetup {
  readonly directory: string;
  readonly certificates: CertificateFiles;
  readonly kubeconfig: string;
  readonly mix: Scenario;
  readonly http: HttpLoadGenerator;
  readonly durationSeconds: number;
  /** Where the .cpuprofile files are copied for later reading. */
  readonly keepDirectory: string;
  readonly webhookNodeFlags: readonly string[];
  readonly log: (line: string) => void;
}

export interface PerRequest {
  readonly name: string;
  readonly usPerRequest: number;
  readonly share: number;
}

export interface ServerProfile {
  readonly role: Role;
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** CPU of the main thread per request in the loaded window (idle left out). */
  readonly busyUsPerRequest: number;
  readonly byArea: readonly PerRequest[];
  readonly byFunction: readonly PerRequest[];
  readonly file: string;
}

const SAMPLING_INTERVAL_US = 200;

function perRequest(entries: readonly ProfileEntry[], requests: number): PerRequest[] {
  return entries.map((entry) => ({ name: entry.name, usPerRequest: (entry.ms * 1000) / requests, share: entry.share }));
}

function startProfiled(setup: ProfileSetup, role: Role, nodeFlags: readonly string[]): Promise<ServerProcess> {
  return role === 'webhook'
    ? startWebhook(
        { directory: setup.directory, certificates: setup.certificates, kubeconfig: setup.kubeconfig, logLevel: 'info', nodeFlags },
        'webhook-profiled',
      )
    : startBaseline(setup.directory, setup.certificates, nodeFlags);
}

interface LoadedWindow {
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** When the measured load began, in ms after the process was spawned. */
  readonly fromMs: number;
}

/** A second of warm-up, then the measured load; the server is stopped either way (the profile is written on exit). */
async function loadProfiled(setup: ProfileSetup, role: Role, server: ServerProcess): Promise<LoadedWindow> {
  try {
    if (role === 'webhook') await waitReady(server);
    const url = `https://127.0.0.1:${server.admissionPort}/validate?timeout=3s`;
    const bodies = setup.mix.reviews.map((review) => review.body);
    await setup.http.run({ url, connections: 50, durationSeconds: 1, bodies });
    const fromMs = Date.now() - server.spawnedAt;
    const result = await setup.http.run({ url, connections: 50, durationSeconds: setup.durationSeconds, bodies });
    return { requests: Math.max(1, result.requests), requestsPerSecond: result.requestsPerSecond, fromMs };
  } finally {
    await stopProcess(server);
  }
}

async function profileOne(setup: ProfileSetup, role: Role): Promise<ServerProfile> {
  const directory = join(setup.directory, `profile-${role}`);
  const profiling = ['--cpu-prof', '--cpu-prof-dir', directory, '--cpu-prof-interval', String(SAMPLING_INTERVAL_US)];
  const nodeFlags = role === 'webhook' ? [...setup.webhookNodeFlags, ...profiling] : profiling;
  const server = await startProfiled(setup, role, nodeFlags);
  const { requests, requestsPerSecond, fromMs } = await loadProfiled(setup, role, server);
  const [file] = (await readdir(directory)).filter((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no profile written in ${directory}`);
  await mkdir(setup.keepDirectory, { recursive: true });
  const kept = join(setup.keepDirectory, `${role}-mix-50.cpuprofile`);
  await copyFile(join(directory, file), kept);
  const summary = summarizeProfile(loadProfile(kept), { fromMs, top: 15 });
  return {
    role,
    requests,
    requestsPerSecond,
    busyUsPerRequest: (summary.busyMs * 1000) / requests,
    byArea: perRequest(summary.byArea, requests),
    byFunction: perRequest(summary.byFunction, requests),
    file: kept,
  };
}

export async function runProfiles(setup: ProfileSetup): Promise<ServerProfile[]> {
  const profiles: ServerProfile[] = [];
  for (const role of ['webhook', 'baseline'] as const) {
    const profile = await profileOne(setup, role);
    setup.log(`[profile] ${role}: ${profile.busyUsPerRequest.toFixed(0)} µs CPU per request on the main thread; ${profile.file}`);
    profiles.push(profile);
  }
  return profiles;
}
