/**
 * Where the time goes: both servers once more under `node --cpu-prof` with the mix at 50
 * connections, their profiles cut to the loaded window and summed by self time per request, by
 * area (the package or part of Node a frame belongs to) and by function. The profiler slows both:
 * compare them with each other, not with the A/B figures. The .cpuprofile files stay in
 * .tmp/bench/profiles for a flame graph (Chrome DevTools, speedscope);
 * `node bench/profile.ts FILE [--from-ms MS]` summarizes any of them.
 */
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO, stopProcess, waitReady } from '../testkit/processes.ts';
import { REVIEW_PATH, type Role } from './measure.ts';
import { scenarioNamed } from './reviews.ts';
import { startBaseline, startBenchWebhook, type Context } from './context.ts';

interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { functionName: string; url: string; lineNumber: number } }[];
  readonly samples: readonly number[];
  /** Microseconds between samples. */
  readonly timeDeltas: readonly number[];
}

/** The package, the part of Node, or the file of the webhook's own a frame belongs to. */
function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : 'native/V8 builtins';
  const found = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? /^node:internal\/(?:deps\/)?([^/.]+)/.exec(url)?.[1];
  if (found !== undefined) return url.startsWith('node:') ? `node:${found}` : found;
  return /\/((?:dist|src|bench)\/.+?)\.(?:js|ts)$/.exec(url)?.[1] ?? url;
}

function frameName({ functionName, url, lineNumber }: CpuProfile['nodes'][number]['callFrame']): string {
  const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src|bench)\//, '$1/');
  return url === '' ? functionName || '(anonymous)' : `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/** Self time per request by area and by function, of the samples taken `fromMs` or more after the profile began. */
export function summarize(profile: CpuProfile, fromMs: number, requests: number) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const [areas, functions] = [new Map<string, number>(), new Map<string, number>()];
  let [elapsedMs, busyMs] = [0, 0];
  profile.samples.forEach((id, index) => {
    const deltaMs = (profile.timeDeltas[index] ?? 0) / 1000;
    elapsedMs += deltaMs;
    const frame = byId.get(id);
    if (elapsedMs < fromMs || frame === undefined || frame.functionName === '(idle)') return;
    busyMs += deltaMs;
    for (const [totals, key] of [
      [areas, areaOf(frame.url, frame.functionName)],
      [functions, frameName(frame)],
    ] as const)
      totals.set(key, (totals.get(key) ?? 0) + deltaMs);
  });
  const ranked = (totals: Map<string, number>) =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([name, ms]) => ({ name, usPerRequest: (ms * 1000) / requests, share: ms / busyMs }));
  return { busyUsPerRequest: (busyMs * 1000) / requests, byArea: ranked(areas), byFunction: ranked(functions) };
}

async function profileOne(context: Context, kubeconfig: string, role: Role, seconds: number) {
  const directory = join(context.directory, `profile-${role}`);
  const flags = ['--cpu-prof', '--cpu-prof-dir', directory, '--cpu-prof-interval', '200'];
  const server =
    role === 'webhook' ? await startBenchWebhook(context, kubeconfig, 'webhook-profiled', flags) : await startBaseline(context, 0, flags);
  const bodies = scenarioNamed(context.scenarios, 'mix').reviews.map((review) => review.body);
  const url = `https://127.0.0.1:${server.admissionPort}${REVIEW_PATH}`;
  let window;
  try {
    if (role === 'webhook') await waitReady(server);
    await context.generator.run({ url, connections: 50, durationSeconds: 1, bodies });
    const fromMs = Date.now() - server.spawnedAt;
    window = { fromMs, load: await context.generator.run({ url, connections: 50, durationSeconds: seconds, bodies }) };
  } finally {
    await stopProcess(server); // the profile is written on exit
  }
  const [written] = (await readdir(directory)).filter((name) => name.endsWith('.cpuprofile'));
  if (written === undefined) throw new Error(`no profile written in ${directory}`);
  await mkdir(join(REPO, '.tmp/bench/profiles'), { recursive: true });
  const file = join(REPO, '.tmp/bench/profiles', `${role}-mix-50.cpuprofile`);
  await copyFile(join(directory, written), file);
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const summary = summarize(profile, window.fromMs, Math.max(1, window.load.requests));
  context.log(`[profile] ${role}: ${summary.busyUsPerRequest.toFixed(0)} µs CPU per request on the main thread; ${file}`);
  return { role, requestsPerSecond: window.load.requestsPerSecond, ...summary, file };
}

export type ServerProfile = Awaited<ReturnType<typeof profileOne>>;

export async function runProfiles(context: Context, kubeconfig: string, seconds: number): Promise<ServerProfile[]> {
  return [await profileOne(context, kubeconfig, 'webhook', seconds), await profileOne(context, kubeconfig, 'baseline', seconds)];
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'from-ms': { type: 'string', default: '0' } } });
  for (const file of positionals) {
    const summary = summarize(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, Number(values['from-ms']), 1);
    const lines = (entries: ServerProfile['byArea']) =>
      entries.map(
        (entry) =>
          `  ${(entry.share * 100).toFixed(1).padStart(5)} %  ${(entry.usPerRequest / 1000).toFixed(0).padStart(6)} ms  ${entry.name}`,
      );
    console.log(
      [
        file,
        `busy ${(summary.busyUsPerRequest / 1000).toFixed(0)} ms`,
        'self time by area:',
        ...lines(summary.byArea),
        'by function:',
        ...lines(summary.byFunction),
      ].join('\n'),
    );
  }
}
