/**
 * Where the webhook's resident memory comes from, by steps: Node alone, Node with the webhook's
 * server dependencies, Node with @kubernetes/client-node alone. Each in a fresh process, RSS read
 * from /proc once its imports are done (and a moment's rest).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { memoryOf, REPO } from './processes.ts';

export interface MemoryStep {
  readonly name: string;
  readonly imports: readonly string[];
  readonly rssBytes: number;
}

const STEPS: ReadonlyArray<Omit<MemoryStep, 'rssBytes'>> = [
  { name: 'node alone', imports: [] },
  { name: 'node + fastify, pino, prom-client, ajv, selfsigned, yaml', imports: ['fastify', 'pino', 'prom-client', 'ajv', 'selfsigned', 'yaml'] },
  { name: 'node + @kubernetes/client-node', imports: ['@kubernetes/client-node'] },
  {
    name: 'node + all of the above',
    imports: ['fastify', 'pino', 'prom-client', 'ajv', 'selfsigned', 'yaml', '@kubernetes/client-node'],
  },
];

async function rssAfterImports(imports: readonly string[]): Promise<number> {
  const code = `${imports.map((name) => `await import(${JSON.stringify(name)});`).join(' ')} process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(child.stdout, 'data');
    await sleep(500);
    return memoryOf(child.pid ?? 0).rss;
  } finally {
    const exited = once(child, 'exit');
    child.kill();
    await exited;
  }
}

export async function memorySteps(): Promise<MemoryStep[]> {
  const steps: MemoryStep[] = [];
  for (const step of STEPS) steps.push({ ...step, rssBytes: await rssAfterImports(step.imports) });
  return steps;
}
