/**
 * The servers under test, each a process of its own (so their RSS is theirs): the webhook as
 * production runs it (`node dist/main.js`, NODE_ENV=production) and the baseline. Their stdout
 * goes to a file, as a container's would, and the bench reads it back only for the start-up line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestCertificates } from '../testkit/certificates.ts';

export const REPO = new URL('../', import.meta.url).pathname;

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  readonly caCert: string;
}

/** A CA and a serving certificate for localhost/127.0.0.1 (EC P-256, as the webhook makes). */
export async function writeCertificates(directory: string): Promise<CertificateFiles> {
  const certificates = await createTestCertificates();
  const files = { certFile: join(directory, 'tls.crt'), keyFile: join(directory, 'tls.key'), caFile: join(directory, 'ca.crt') };
  await writeFile(files.certFile, certificates.cert);
  await writeFile(files.keyFile, certificates.key, { mode: 0o600 });
  await writeFile(files.caFile, certificates.caCert);
  return { ...files, caCert: certificates.caCert };
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

export interface WebhookStart {
  readonly directory: string;
  readonly certificates: CertificateFiles;
  readonly kubeconfig: string;
  readonly logLevel: string;
  /** Extra node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
}

export function startWebhook(options: WebhookStart, name = 'webhook'): Promise<ServerProcess> {
  const args = [
    ...(options.nodeFlags ?? []),
    'dist/main.js',
    ...['--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1'],
    ...['--kubeconfig', options.kubeconfig, '--log-level', options.logLevel, '--drain-seconds', '0'],
    ...['--tls-cert-file', options.certificates.certFile, '--tls-private-key-file', options.certificates.keyFile],
  ];
  return startProcess(name, args, join(options.directory, `${name}.log`), 'snapshot webhook serving');
}

export function startBaseline(
  directory: string,
  certificates: CertificateFiles,
  nodeFlags: readonly string[] = [],
  spinUs = 0,
): Promise<ServerProcess> {
  const name = spinUs === 0 ? 'baseline' : `baseline-spin-${spinUs}us`;
  const args = [
    ...nodeFlags,
    'bench/baseline-server.ts',
    ...['--tls-cert-file', certificates.certFile, '--tls-private-key-file', certificates.keyFile, '--spin-us', String(spinUs)],
  ];
  return startProcess(name, args, join(directory, `${name}.log`), 'baseline serving');
}

/** Long enough for 10,000 classes to list on a slow machine, short enough to fail a broken run. */
const START_TIMEOUT_MS = 30_000;

async function startProcess(name: string, args: readonly string[], logFile: string, servingMessage: string): Promise<ServerProcess> {
  const output = openSync(logFile, 'w');
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      ...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
    },
    stdio: ['ignore', output, output],
  });
  closeSync(output);
  const line = await waitForLine(child, logFile, (entry) => entry.msg === servingMessage);
  return {
    name,
    child,
    pid: child.pid ?? 0,
    admissionPort: Number(line.admissionPort),
    metricsPort: Number(line.metricsPort ?? 0),
    spawnedAt,
    servingAt: Date.now(),
    logFile,
  };
}

type LogLine = Record<string, unknown>;

async function waitForLine(child: ChildProcess, logFile: string, predicate: (line: LogLine) => boolean): Promise<LogLine> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${logFile}: process exited with ${child.exitCode}:\n${readFileSync(logFile, 'utf8')}`);
    const found = logLines(logFile).find(predicate);
    if (found !== undefined) return found;
    await sleep(5);
  }
  throw new Error(`${logFile}: no start-up line within ${START_TIMEOUT_MS} ms:\n${readFileSync(logFile, 'utf8')}`);
}

export function logLines(logFile: string): LogLine[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Plain-HTTP GET on loopback: status and body. */
export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

/** Polls /readyz every pollMs; resolves with the Date.now() time it first answered 200. */
export async function waitReady(server: ServerProcess, timeoutMs = START_TIMEOUT_MS, pollMs = 5): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { status } = await httpGet(server.metricsPort, '/readyz');
    if (status === 200) return Date.now();
    await sleep(pollMs);
  }
  throw new Error(`${server.name}: not ready within ${timeoutMs} ms`);
}

export interface Memory {
  /** Resident set size now, bytes. */
  readonly rss: number;
  /** Peak resident set size since the process started (VmHWM), bytes. */
  readonly peak: number;
}

/** From /proc (Linux): what the process holds in RAM, not what the bench does. */
export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Clock ticks a second in /proc/PID/stat (USER_HZ: 100 on every Linux that matters). */
const TICKS_PER_SECOND = 100;

/** CPU time the process has used, user and system, all threads (ms, 10 ms resolution). */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may hold spaces): utime is 14th, stime 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

export interface MachineTicks {
  readonly total: number;
  readonly steal: number;
}

/** All CPUs' time so far (/proc/stat), and the part stolen by the hypervisor for other guests. */
export function machineTicks(): MachineTicks {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: fields.reduce((sum, value) => sum + value, 0), steal: fields[7] ?? 0 };
}

export function stealSince(before: MachineTicks): number {
  const now = machineTicks();
  const total = now.total - before.total;
  return total <= 0 ? 0 : ((now.steal - before.steal) * 100) / total;
}

/** Samples a process's RSS every 100 ms while a load runs; the largest sample is the peak of the run. */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  #max: number;

  constructor(pid: number) {
    this.#pid = pid;
    this.#max = memoryOf(pid).rss;
    this.#timer = setInterval(() => this.#sample(), 100);
  }

  /** A process that is gone has no RSS: measure() reports that it died. */
  #sample(): void {
    try {
      this.#max = Math.max(this.#max, memoryOf(this.#pid).rss);
    } catch {
      clearInterval(this.#timer);
    }
  }

  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.#max;
  }
}

/** Throws, with the end of its log, when the server has exited (a crash, or a signal from outside the bench). */
export function assertAlive(server: ServerProcess): void {
  const { exitCode, signalCode } = server.child;
  if (exitCode === null && signalCode === null) return;
  const tail = readFileSync(server.logFile, 'utf8').trimEnd().split('\n').slice(-5).join('\n');
  throw new Error(
    `${server.name} (pid ${server.pid}) exited during the bench (code ${exitCode}, signal ${signalCode}); end of its log:\n${tail}`,
  );
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
export async function stopProcess(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
