/**
 * Servers as processes of their own, so that their memory and CPU are theirs: the webhook as
 * production runs it (`node dist/main.js`, NODE_ENV=production) and the bench's baseline. Their
 * output goes to a file, as a container's would; it is read back for the start-up line and errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestCertificates } from './certificates.ts';

export const REPO = new URL('../', import.meta.url).pathname;

/** Long enough for 10,000 classes to list on a slow machine, short enough to fail a broken run. */
const START_TIMEOUT_MS = 30_000;

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caCert: string;
}

/** A CA and a serving certificate for localhost and 127.0.0.1, as files. */
export async function writeCertificates(directory: string): Promise<CertificateFiles> {
  const { cert, key, caCert } = await createTestCertificates();
  const files = { certFile: join(directory, 'tls.crt'), keyFile: join(directory, 'tls.key') };
  await writeFile(files.certFile, cert);
  await writeFile(files.keyFile, key, { mode: 0o600 });
  return { ...files, caCert };
}

export interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly admissionPort: number;
  /** The webhook's plain-HTTP port (/readyz, /metrics); 0 for the baseline. */
  readonly metricsPort: number;
  /** Date.now() times: spawned, and the start-up line seen. */
  readonly spawnedAt: number;
  readonly servingAt: number;
  readonly logFile: string;
}

export interface NodeProcessOptions {
  readonly name: string;
  /** The log file goes here. */
  readonly directory: string;
  /** The script and its arguments. */
  readonly args: readonly string[];
  readonly nodeFlags?: readonly string[];
  /** The `msg` of the JSON line that says the server listens. */
  readonly servingMessage: string;
}

export async function startNodeProcess(options: NodeProcessOptions): Promise<ServerProcess> {
  const logFile = join(options.directory, `${options.name}.log`);
  const output = openSync(logFile, 'w');
  const spawnedAt = Date.now();
  const inherited = ['PATH', 'HOME', 'NODE_COMPILE_CACHE'].filter((key) => process.env[key] !== undefined);
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...options.args], {
    cwd: REPO,
    env: { ...Object.fromEntries(inherited.map((key) => [key, process.env[key]])), NODE_ENV: 'production' },
    stdio: ['ignore', output, output],
  });
  closeSync(output);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8')}`);
    const line = logLines(logFile).find((entry) => entry.msg === options.servingMessage);
    if (line !== undefined) {
      const [admissionPort, metricsPort] = [Number(line.admissionPort), Number(line.metricsPort ?? 0)];
      return { name: options.name, child, pid: child.pid ?? 0, admissionPort, metricsPort, spawnedAt, servingAt: Date.now(), logFile };
    }
    await sleep(5);
  }
  child.kill('SIGKILL');
  throw new Error(`${options.name}: no start-up line within ${START_TIMEOUT_MS} ms:\n${readFileSync(logFile, 'utf8')}`);
}

export interface WebhookOptions {
  readonly name?: string;
  readonly directory: string;
  /** Serving certificate files; without them the webhook makes its own CA (written to directory/ca.crt). */
  readonly certificates?: CertificateFiles;
  /** '' or absent: no cluster. */
  readonly kubeconfig?: string;
  readonly nodeFlags?: readonly string[];
  /** dist/main.js (what the image runs) unless told otherwise. */
  readonly entry?: string;
}

export function startWebhook(options: WebhookOptions): Promise<ServerProcess> {
  const { certificates, kubeconfig } = options;
  const tls =
    certificates === undefined
      ? ['--self-signed-ca-file', join(options.directory, 'ca.crt')]
      : ['--tls-cert-file', certificates.certFile, '--tls-private-key-file', certificates.keyFile];
  const args = [
    options.entry ?? 'dist/main.js',
    ...['--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', '--drain-seconds', '0', '--log-level', 'info'],
    ...(kubeconfig ? ['--kubeconfig', kubeconfig] : []),
    ...tls,
  ];
  const name = options.name ?? 'webhook';
  return startNodeProcess({ ...options, name, args, servingMessage: 'snapshot webhook serving' });
}

export function logLines(logFile: string): Record<string, unknown>[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Plain-HTTP GET on loopback (the webhook's probe and metrics port). */
export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

/** Polls /readyz; resolves with the Date.now() time it first answered 200. */
export async function waitReady(server: ServerProcess, pollMs = 5): Promise<number> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if ((await httpGet(server.metricsPort, '/readyz')).status === 200) return Date.now();
    await sleep(pollMs);
  }
  throw new Error(`${server.name}: not ready within ${START_TIMEOUT_MS} ms`);
}

/** Resident memory now (VmRSS), bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

/** CPU time the process has used, user and system, all threads (ms, 10 ms resolution: USER_HZ is 100). */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name, which is in parentheses and may hold spaces, utime and stime are the 12th and 13th fields.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Samples a process's RSS every 100 ms until stop(), which returns the largest sample. */
export function sampleRss(pid: number): { stop(): number } {
  let max = rssOf(pid);
  const sample = () => {
    try {
      max = Math.max(max, rssOf(pid));
    } catch {
      clearInterval(timer); // gone: whoever waits on it reports that
    }
  };
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return max;
    },
  };
}

/** Throws, with the end of its log, when the server has exited. */
export function assertAlive(server: ServerProcess): void {
  const { exitCode, signalCode } = server.child;
  if (exitCode === null && signalCode === null) return;
  const tail = readFileSync(server.logFile, 'utf8').trimEnd().split('\n').slice(-5).join('\n');
  throw new Error(`${server.name} (pid ${server.pid}) exited (code ${exitCode}, signal ${signalCode}); end of its log:\n${tail}`);
}

/** SIGTERM, then SIGKILL after 10 s; resolves with the exit code once the process is gone. */
export async function stopProcess(server: ServerProcess): Promise<number | null> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return code;
}
