import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { trackChild } from './children.ts';

/** The real webhook process (`node src/main.ts`), started as a user would, its JSON logs read back. */
export const REPO = new URL('../../', import.meta.url).pathname;

export interface WebhookProcess {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: string[];
  readonly admissionPort: number;
  readonly metricsPort: number;
  readonly caFile: string | undefined;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** `entry`: the program to run, src/main.ts by default (or a production build's dist/main.js). */
export async function startWebhook(args: readonly string[], env: NodeJS.ProcessEnv = {}, entry = 'src/main.ts'): Promise<WebhookProcess> {
  const child = trackChild(
    spawn(process.execPath, [entry, '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
    for (const wake of waiters) wake();
  });
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const waitForLog: WebhookProcess['waitForLog'] = (predicate, timeoutMs = 15_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = logs.find(predicate);
        if (found === undefined) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no such log line within ${timeoutMs} ms; logs: ${JSON.stringify(logs)} stderr: ${stderr.join('\n')}`));
      }, timeoutMs);
      const gone = () => {
        cleanup();
        reject(new Error(`process exited; logs: ${JSON.stringify(logs)} stderr: ${stderr.join('\n')}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', gone);
      };
      waiters.add(check);
      child.once('exit', gone);
      check();
    });
  const serving = await waitForLog((line) => line.msg === 'snapshot webhook serving');
  return {
    child,
    logs,
    stderr,
    admissionPort: Number(serving.admissionPort),
    metricsPort: Number(serving.metricsPort),
    caFile: typeof serving.caFile === 'string' ? serving.caFile : undefined,
    exited,
    waitForLog,
  };
}

/**
 * Runs the command to its end: for --help and for configurations that must be refused. Both ports
 * default to 0, so that a refusal expected here never turns into an address error on a machine
 * where something else holds 8080 or 8443.
 */
export async function runToExit(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = trackChild(
    spawn(process.execPath, ['src/main.ts', ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SNAPSHOT_WEBHOOK_PORT: '0', SNAPSHOT_WEBHOOK_METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
