/**
 * `npm run hostile`: the attacks of docs/reliability.md's hostile table at full size, one after
 * another, against the production build run as the chart runs it (the V8 heap flags the chart
 * derives from its 384Mi memory limit, log level info). Alongside each: a legitimate client (20
 * reviews/s over an HTTP/2 session, as kube-apiserver sends them, on a new connection every 2 s) and the probes (/livez and
 * /readyz every 250 ms). Prints the table: legitimate failures and p99, slowest probe, RSS peak,
 * CPU, log lines, and what the server answered.
 *
 *   npm run build && node reliability/hostile.ts [--only NAME[,NAME]] [--scale F]   (F < 1: smaller attacks)
 */
import { connect as connectHttp2, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { reviewFrom } from '../testkit/captures.ts';
import { postOnSession } from '../testkit/clients.ts';
import { FRAME, frame, headersFrame, rawSession, resetFrame, type RawSession, type RawTarget } from '../testkit/raw-http2.ts';
import { startClassCluster } from '../testkit/class-cluster.ts';
import {
  cpuTimeMs,
  httpGet,
  sampleRss,
  startWebhook,
  stopProcess,
  waitReady,
  writeCertificates,
  type ServerProcess,
} from '../testkit/processes.ts';

/** What the chart passes for resources.limits.memory 384Mi (heap.oldSpacePercent 50, heap.semiSpaceMiB 2). */
const CHART_HEAP_FLAGS = ['--max-old-space-size=192', '--max-semi-space-size=2'];
const CHART_MEMORY_LIMIT_MIB = 384;
const REQUEST_TIMEOUT_S = 30;
const REVIEW = JSON.stringify(reviewFrom('02'));
const MIN_OBSERVED_MS = 10_000;
const RECONNECT_MS = 2_000;

interface Observed {
  legitimate: number[];
  failures: string[];
  probeMaxMs: number;
  rssPeakMiB: number;
}

/** The legitimate client, the probes and the RSS sampler (every 100 ms), until stop(). */
function observe(webhook: ServerProcess, target: RawTarget): { stop(): Promise<Observed> } {
  const observed: Observed = { legitimate: [], failures: [], probeMaxMs: 0, rssPeakMiB: 0 };
  let running = true;
  let session: ClientHttp2Session | undefined;
  let sessionOpenedAt = 0;
  // A new connection every few seconds, as when the webhook's GOAWAY at --max-connection-age-seconds
  // makes the API server reconnect: new connections must get in during an attack too.
  const sessionNow = (): ClientHttp2Session => {
    if (session === undefined || session.closed || session.destroyed || performance.now() - sessionOpenedAt > RECONNECT_MS) {
      session?.close();
      session = connectHttp2(`https://localhost:${target.port}`, { ca: target.ca });
      session.on('error', () => undefined);
      sessionOpenedAt = performance.now();
    }
    return session;
  };
  const timed = async (what: () => Promise<{ status: number }>, record: (ms: number) => void): Promise<void> => {
    const started = performance.now();
    const answer = await Promise.race([what(), sleep(5_000).then(() => ({ status: 'none within 5 s' }))]).catch((error: unknown) => ({
      status: (error as NodeJS.ErrnoException).code ?? String(error),
    }));
    if (answer.status !== 200) observed.failures.push(`${String(answer.status)}`);
    record(performance.now() - started);
  };
  const every = async (ms: number, action: () => Promise<void>): Promise<void> => {
    const pending: Promise<void>[] = [];
    while (running) {
      pending.push(action());
      await sleep(ms);
    }
    await Promise.all(pending);
  };
  const loops = [
    every(50, () =>
      timed(
        () => postOnSession(sessionNow(), '/validate?timeout=3s', REVIEW),
        (ms) => observed.legitimate.push(ms),
      ),
    ),
    every(250, async () => {
      for (const path of ['/livez', '/readyz'])
        await timed(
          () => httpGet(webhook.metricsPort, path),
          (ms) => (observed.probeMaxMs = Math.max(observed.probeMaxMs, ms)),
        );
    }),
  ];
  const rss = sampleRss(webhook.pid);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      session?.close();
      observed.rssPeakMiB = rss.stop() / 2 ** 20;
      return observed;
    },
  };
}

const p99 = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.99) - 1] ?? Number.NaN;
const count = (map: ReadonlyMap<number, number>, key: number): number => map.get(key) ?? 0;
const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** 4 connections × 10,000 streams of headers and no body, the advertised limit ignored. */
async function streamHolding(target: RawTarget, scale: number): Promise<string> {
  const streams = Math.round(10_000 * scale);
  const sessions = await Promise.all([0, 1, 2, 3].map(() => rawSession(target)));
  await Promise.all(
    sessions.map(async (session) => {
      for (let id = 1; id < streams * 2; id += 200) {
        const batch = Array.from({ length: 100 }, (_, index) => headersFrame(id + index * 2)).filter(
          (_, index) => id + index * 2 < streams * 2,
        );
        if (!(await session.send(Buffer.concat(batch)))) return;
      }
    }),
  );
  const closedMs = await Promise.all(sessions.map((session) => Promise.race([session.closed, sleep((REQUEST_TIMEOUT_S + 10) * 1000)])));
  for (const session of sessions) session.socket.destroy();
  const refused = sum(sessions.map((session) => count(session.resetCodes, 7)));
  return (
    `${refused} streams refused (REFUSED_STREAM), GOAWAY codes [${sessions.flatMap((s) => s.goawayCodes).join(', ')}], ` +
    `sessions closed after ${closedMs.map((ms) => (typeof ms === 'number' ? `${(ms / 1000).toFixed(1)} s` : 'never')).join(', ')}`
  );
}

/** 4 sessions × 10,000 streams of headers and no body through Node's client, which keeps to the advertised limit. */
async function streamHoldingWithinLimit(target: RawTarget, scale: number): Promise<string> {
  const sessions = [0, 1, 2, 3].map(() => connectHttp2(`https://localhost:${target.port}`, { ca: target.ca }));
  const statuses = new Map<number, number>();
  const streams: ClientHttp2Stream[] = [];
  for (const session of sessions) session.on('error', () => undefined);
  for (let index = 0; index < Math.round(10_000 * scale); index += 1) {
    for (const session of sessions) {
      const stream = session.request({ ':method': 'POST', ':path': '/validate', 'content-type': 'application/json' });
      stream.on('error', () => undefined);
      stream.on('response', (headers) => statuses.set(Number(headers[':status']), count(statuses, Number(headers[':status'])) + 1));
      stream.resume();
      streams.push(stream);
    }
    // Tens of thousands of requests at once would stall this process's own client and probes.
    if (index % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  await sleep((REQUEST_TIMEOUT_S + 5) * 1000);
  const held = streams.filter((stream) => stream.id !== undefined && !stream.closed).length;
  for (const session of sessions) session.destroy();
  return `${[...statuses].map(([status, times]) => `${status} ×${times}`).join(', ')} after ${REQUEST_TIMEOUT_S + 5} s; ${held} streams open then (limit 100 a session)`;
}

/** 4 senders, back to back, of an 8 MiB object of ~932,000 keys. */
async function keyBombs(target: RawTarget, scale: number): Promise<string> {
  const keys = Math.round(932_067 * scale);
  const bomb = `{"k":{${Array.from({ length: keys }, (_, index) => `"${index.toString(36)}":0`).join(',')}}}`;
  const statuses = new Map<number | string, number>();
  const until = performance.now() + 20_000 * Math.max(scale, 0.25);
  await Promise.all(
    [0, 1, 2, 3].map(async () => {
      while (performance.now() < until) {
        // A new session each time: the server may end one after a refused body.
        const session = connectHttp2(`https://localhost:${target.port}`, { ca: target.ca });
        session.on('error', () => undefined);
        const status = await postOnSession(session, '/validate', bomb).then(
          (answer) => answer.status,
          (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'error',
        );
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        session.destroy();
      }
    }),
  );
  return `${(bomb.length / 2 ** 20).toFixed(1)} MiB bodies answered ${[...statuses].map(([status, times]) => `${status} ×${times}`).join(', ')}`;
}

/** HEADERS + RST_STREAM pairs as fast as the socket takes them, reconnecting when cut, 300,000 in all. */
async function rapidReset(target: RawTarget, scale: number): Promise<string> {
  const total = Math.round(300_000 * scale);
  let sent = 0;
  const goaways: number[] = [];
  let sessions = 0;
  while (sent < total) {
    const session = await rawSession(target);
    sessions += 1;
    for (let id = 1; sent < total && !session.isClosed(); id += 200) {
      const pairs = Array.from({ length: 100 }, (_, index) => [headersFrame(id + index * 2), resetFrame(id + index * 2)]).flat();
      if (await session.send(Buffer.concat(pairs))) sent += 100;
    }
    // The GOAWAY may still be on its way when the last burst is written.
    await Promise.race([session.closed, sleep(1_000)]);
    session.socket.destroy();
    goaways.push(...session.goawayCodes);
  }
  const calm = goaways.filter((code) => code === 0xb).length;
  return `${sent} resets over ${sessions} sessions; ${calm} cut with GOAWAY ENHANCE_YOUR_CALM`;
}

/** 2,000 connections that send the HTTP/2 preface one byte every 10 s. */
async function slowSenders(target: RawTarget, scale: number): Promise<string> {
  const connections = Math.round(2_000 * scale);
  const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  const started = performance.now();
  const sessions: RawSession[] = [];
  for (let index = 0; index < connections; index += 50)
    sessions.push(...(await Promise.all(Array.from({ length: Math.min(50, connections - index) }, () => rawSession(target, false)))));
  const timers = sessions.map((session, index) => {
    let offset = 0;
    const send = (): void => void session.send(Buffer.from(preface.slice(offset, ++offset), 'latin1'));
    setTimeout(send, index % 1000);
    return setInterval(send, 10_000);
  });
  const closedMs = await Promise.all(
    sessions.map((session) => Promise.race([session.closed, sleep((REQUEST_TIMEOUT_S + 15) * 1000).then(() => -1)])),
  );
  for (const timer of timers) clearInterval(timer);
  for (const session of sessions) session.socket.destroy();
  const open = closedMs.filter((ms) => ms < 0).length;
  const early = closedMs.filter((ms) => ms >= 0 && ms < (REQUEST_TIMEOUT_S - 1) * 1000);
  const cut = closedMs.filter((ms) => ms >= (REQUEST_TIMEOUT_S - 1) * 1000);
  const range = (values: number[]) => `${(Math.min(...values) / 1000).toFixed(1)}–${(Math.max(...values) / 1000).toFixed(1)} s`;
  return (
    `${connections} connections in ${((performance.now() - started) / 1000).toFixed(0)} s: ${early.length} closed early for newer ones ` +
    `(--max-connections), ${cut.length} cut after ${range(cut)}, ${open} still open after ${REQUEST_TIMEOUT_S + 15} s`
  );
}

/** 4 connections writing one kind of control frame as fast as the socket takes it, for 10 s. */
function flood(kind: 'ping' | 'settings' | 'windowUpdate'): (target: RawTarget, scale: number) => Promise<string> {
  const payload = { ping: Buffer.alloc(8), settings: Buffer.alloc(0), windowUpdate: Buffer.from([0, 0, 0, 1]) }[kind];
  const one = frame(FRAME[kind], 0, 0, payload);
  const batch = Buffer.concat(Array.from({ length: 1_000 }, () => one));
  return async (target, scale) => {
    const until = performance.now() + 10_000 * Math.max(scale, 0.25);
    const sessions = await Promise.all([0, 1, 2, 3].map(() => rawSession(target)));
    const sent = await Promise.all(
      sessions.map(async (session) => {
        let frames = 0;
        while (performance.now() < until && (await session.send(batch))) frames += 1_000;
        return frames;
      }),
    );
    const cut = sessions.filter((session) => session.isClosed()).length;
    for (const session of sessions) session.socket.destroy();
    return `${sum(sent)} frames; ${cut} of 4 sessions cut (GOAWAY codes [${sessions.flatMap((s) => s.goawayCodes).join(', ')}])`;
  };
}

const ATTACKS = {
  'stream-holding': streamHolding,
  'stream-holding-within-limit': streamHoldingWithinLimit,
  'key-bombs': keyBombs,
  'rapid-reset': rapidReset,
  'slow-senders': slowSenders,
  'ping-flood': flood('ping'),
  'settings-flood': flood('settings'),
  'window-update-flood': flood('windowUpdate'),
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, scale: { type: 'string', default: '1' } } });
  const scale = Number(values.scale);
  const names = values.only?.split(',') ?? Object.keys(ATTACKS);
  const directory = await mkdtemp(join(tmpdir(), 'snapshot-webhook-hostile-'));
  const cluster = await startClassCluster(directory, 100);
  const certificates = await writeCertificates(directory);
  const webhook = await startWebhook({ directory, certificates, kubeconfig: cluster.kubeconfig, nodeFlags: CHART_HEAP_FLAGS });
  const target = { port: webhook.admissionPort, ca: certificates.caCert };
  await waitReady(webhook);
  console.log(
    `| attack | legitimate failures | legitimate p99 | slowest probe | RSS peak (limit ${CHART_MEMORY_LIMIT_MIB} MiB) | CPU | log lines | answer |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  try {
    for (const name of names) {
      const attack = ATTACKS[name as keyof typeof ATTACKS];
      if (attack === undefined) throw new Error(`--only: no attack ${name} (${Object.keys(ATTACKS).join(', ')})`);
      const logBefore = readFileSync(webhook.logFile, 'utf8').split('\n').length;
      const cpuBefore = cpuTimeMs(webhook.pid);
      const started = performance.now();
      const watch = observe(webhook, target);
      const answer = await attack(target, scale);
      // At least 10 s of legitimate traffic a row: the attack's aftermath counts too.
      await sleep(Math.max(0, started + MIN_OBSERVED_MS - performance.now()));
      const seen = await watch.stop();
      const cpu = (100 * (cpuTimeMs(webhook.pid) - cpuBefore)) / (performance.now() - started);
      const lines = readFileSync(webhook.logFile, 'utf8').split('\n').length - logBefore;
      const alive = webhook.child.exitCode === null ? '' : ` **exited ${webhook.child.exitCode}**`;
      console.log(
        `| ${name} | ${seen.failures.length} of ${seen.legitimate.length}${seen.failures.length > 0 ? ` (${[...new Set(seen.failures)].join(', ')})` : ''} | ${p99(seen.legitimate).toFixed(1)} ms | ` +
          `${seen.probeMaxMs.toFixed(0)} ms | ${seen.rssPeakMiB.toFixed(0)} MiB | ${cpu.toFixed(0)} % | ${lines} | ${answer}${alive} |`,
      );
      await sleep(2_000);
    }
  } finally {
    await stopProcess(webhook);
    await cluster.close();
    await rm(directory, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
