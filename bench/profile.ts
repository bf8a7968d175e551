/**
 * Top-of-profile summaries of V8 CPU profiles (`node --cpu-prof`): self time by function and by
 * area (the package or part of Node the code belongs to), without a flame-graph viewer.
 *
 * Usage: node bench/profile.ts FILE.cpuprofile [--top N] [--from-ms MS]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  /** Microseconds, on the same clock as the samples. */
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  /** Share of the busy (non-idle) time. */
  readonly share: number;
  readonly ms: number;
}

export interface ProfileSummary {
  readonly busyMs: number;
  readonly idleMs: number;
  readonly byArea: readonly ProfileEntry[];
  readonly byFunction: readonly ProfileEntry[];
}

/** Which part of the stack a frame belongs to: a package, a part of Node, or the webhook's own code. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : 'native/V8 builtins';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) return pkg;
  const internal = /^node:internal\/(?:deps\/)?([^/.]+)/.exec(url)?.[1];
  if (internal !== undefined) return `node:${internal}`;
  const own = /\/(?:dist|src|bench)\/.+?(?=\.(?:js|ts)$)/.exec(url)?.[0];
  return own?.slice(1) ?? url;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src|bench)\//, '$1/');
  return url === '' ? functionName || '(anonymous)' : `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

function ranked(totals: Map<string, number>, busyMs: number, top: number): ProfileEntry[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), share: busyMs === 0 ? 0 : ms / busyMs }));
}

export interface ProfileWindow {
  /** Only the samples taken this long (ms) after the profile started: leaves out start-up. */
  readonly fromMs?: number;
  readonly top?: number;
}

/** Self time of each profile node, from the samples inside the window. */
function selfTimes(profile: CpuProfile, fromMs: number): Map<number, number> {
  const selfMs = new Map<number, number>();
  let elapsedMs = 0;
  profile.samples.forEach((id, index) => {
    const deltaMs = (profile.timeDeltas[index] ?? 0) / 1000;
    elapsedMs += deltaMs;
    if (elapsedMs >= fromMs) selfMs.set(id, (selfMs.get(id) ?? 0) + deltaMs);
  });
  return selfMs;
}

export function summarizeProfile(profile: CpuProfile, window: ProfileWindow = {}): ProfileSummary {
  const top = window.top ?? 25;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = selfTimes(profile, window.fromMs ?? 0);
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let idleMs = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    functions.set(frameName(node), (functions.get(frameName(node)) ?? 0) + ms);
  }
  const busyMs = [...areas.values()].reduce((sum, ms) => sum + ms, 0);
  return {
    busyMs: Math.round(busyMs),
    idleMs: Math.round(idleMs),
    byArea: ranked(areas, busyMs, top),
    byFunction: ranked(functions, busyMs, top),
  };
}

export function loadProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function formatSummary(summary: ProfileSummary, top = 15): string {
  const line = (entry: ProfileEntry) =>
    `  ${(entry.share * 100).toFixed(1).padStart(5)} %  ${String(entry.ms).padStart(6)} ms  ${entry.name}`;
  return [
    `busy ${summary.busyMs} ms, idle ${summary.idleMs} ms`,
    'self time by area:',
    ...summary.byArea.slice(0, top).map(line),
    'self time by function:',
    ...summary.byFunction.slice(0, top).map(line),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, 'from-ms': { type: 'string', default: '0' } },
  });
  const window = { top: Number(values.top), fromMs: Number(values['from-ms']) };
  for (const file of positionals)
    process.stdout.write(`${file}\n${formatSummary(summarizeProfile(loadProfile(file), window), window.top)}\n`);
}
