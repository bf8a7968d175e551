/**
 * The soak's traffic: a steady rate (open loop, so a slower webhook does not get less to do)
 * of a fixed mix of reviews — every example of docs/examples, a resource the webhook does not
 * know, and a body that is not JSON — over two HTTP/2 sessions (what kube-apiserver uses), two
 * pools of HTTP/1.1 keep-alive connections, and now and then a new TLS connection. Every answer is
 * checked against what it must be; anything else is an error.
 */
import { readFileSync } from 'node:fs';
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { Agent } from 'node:https';
import { postHttp1, postOnSession } from '../testkit/clients.ts';

export interface MixEntry {
  readonly name: string;
  readonly body: string;
  /** 'allowed' | 'denied' for a review; the HTTP status for what is not one. */
  readonly expected: 'allowed' | 'denied' | number;
}

const EXAMPLES = new URL('../docs/examples/', import.meta.url);

function example(file: string): Record<string, unknown> & { request: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(file, EXAMPLES), 'utf8')) as Record<string, unknown> & { request: Record<string, unknown> };
}

/** The mix: the examples as the README says they are answered (no cluster), plus two odd ones. */
export function reviewMix(): MixEntry[] {
  const unknown = example('volumesnapshot-allowed.json');
  unknown.request.resource = { group: 'example.com', version: 'v1', resource: 'widgets' };
  const entries: Array<[string, string, MixEntry['expected']]> = [
    ['volumesnapshot-allowed', JSON.stringify(example('volumesnapshot-allowed.json')), 'allowed'],
    ['volumesnapshot-denied', JSON.stringify(example('volumesnapshot-denied.json')), 'denied'],
    ['volumesnapshot-update-denied', JSON.stringify(example('volumesnapshot-update-denied.json')), 'denied'],
    ['volumesnapshotclass-default', JSON.stringify(example('volumesnapshotclass-default.json')), 'allowed'],
    ['volumesnapshotclass-warning', JSON.stringify(example('volumesnapshotclass-warning.json')), 'allowed'],
    ['volumegroupsnapshot-empty-selector', JSON.stringify(example('volumegroupsnapshot-empty-selector-warning.json')), 'allowed'],
    ['unknown-resource', JSON.stringify(unknown), 'allowed'],
    ['not-json', '{"apiVersion": "admission.k8s.io/v1", "kind": ', 400],
  ];
  return entries.map(([name, body, expected]) => ({ name, body, expected }));
}

export interface TrafficOptions {
  readonly origin: string;
  readonly ca: string;
  /** Requests a second. */
  readonly rate: number;
  readonly durationMs: number;
  /** At most this many requests in flight; beyond it a due request is skipped and counted. */
  readonly maxInFlight?: number;
  /** One request in this many goes on a new TLS connection. */
  readonly freshEvery?: number;
}

export interface TrafficTotals {
  sent: number;
  ok: number;
  skipped: number;
  readonly errors: Map<string, number>;
  /** Client-side latency of answered requests, milliseconds (a sample of at most 200 000). */
  readonly latenciesMs: number[];
  /** The slowest answer of each kind of client, milliseconds. */
  readonly slowestMs: Record<string, number>;
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

type Send = (entry: MixEntry) => Promise<Answer>;

function http2Sender(origin: string, ca: string): { send: Send; close: () => void } {
  let session: ClientHttp2Session | undefined;
  const open = () => {
    if (session !== undefined && !session.closed && !session.destroyed) return session;
    session = connectHttp2(origin, { ca });
    session.on('error', () => undefined);
    return session;
  };
  const send: Send = (entry) => postOnSession(open(), '/validate?timeout=3s', entry.body);
  return { send, close: () => session?.close() };
}

/** Over `agent`'s kept-alive connections, or (without one) over a new connection for every request. */
function http1Sender(origin: string, ca: string, agent: Agent | undefined): Send {
  return (entry) => postHttp1(`${origin}/validate?timeout=3s`, entry.body, { ca, agent, timeoutSeconds: 10 });
}

/** Why an answer is wrong, or undefined when it is what the entry must get. */
export function judge(entry: MixEntry, answer: Answer): string | undefined {
  if (typeof entry.expected === 'number') {
    return answer.status === entry.expected ? undefined : `${entry.name}: status ${answer.status}, expected ${entry.expected}`;
  }
  if (answer.status !== 200) return `${entry.name}: status ${answer.status}`;
  const allowed = (JSON.parse(answer.text) as { response?: { allowed?: boolean } }).response?.allowed;
  const decision = allowed === true ? 'allowed' : 'denied';
  return decision === entry.expected ? undefined : `${entry.name}: ${decision}, expected ${entry.expected}`;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

const MAX_LATENCY_SAMPLES = 200_000;

/** Sends the mix at the rate for the duration; resolves when every request sent has ended. */
export async function runTraffic(options: TrafficOptions): Promise<TrafficTotals> {
  const mix = reviewMix();
  const totals: TrafficTotals = { sent: 0, ok: 0, skipped: 0, errors: new Map(), latenciesMs: [], slowestMs: {} };
  const sessions = [http2Sender(options.origin, options.ca), http2Sender(options.origin, options.ca)];
  // Without pipelining one HTTP/1.1 connection carries one request at a time: a pool of a few per
  // agent, as HTTP/1.1 clients keep, so that the open-loop rate does not queue up behind one socket.
  const agents = [0, 1].map(() => new Agent({ keepAlive: true, maxSockets: 4, ALPNProtocols: ['http/1.1'] }));
  const senders: Send[] = [
    ...sessions.map((session) => session.send),
    ...agents.map((agent) => http1Sender(options.origin, options.ca, agent)),
  ];
  const fresh = http1Sender(options.origin, options.ca, undefined);
  const maxInFlight = options.maxInFlight ?? 256;
  const freshEvery = options.freshEvery ?? 20;
  let inFlight = 0;
  let due = 0;
  const pending = new Set<Promise<void>>();
  const sendOne = (index: number): void => {
    const entry = mix[index % mix.length] as MixEntry;
    const fromSenders = index % senders.length;
    const send = index % freshEvery === 0 ? fresh : (senders[fromSenders] as Send);
    const kind = index % freshEvery === 0 ? 'http1-new-connection' : fromSenders < sessions.length ? 'http2' : 'http1-keep-alive';
    const started = performance.now();
    inFlight += 1;
    const done = send(entry)
      .then(
        (answer) => {
          const problem = judge(entry, answer);
          if (problem === undefined) totals.ok += 1;
          else count(totals.errors, problem);
          const latency = performance.now() - started;
          if (totals.latenciesMs.length < MAX_LATENCY_SAMPLES) totals.latenciesMs.push(latency);
          totals.slowestMs[kind] = Math.max(totals.slowestMs[kind] ?? 0, latency);
        },
        (error: unknown) => count(totals.errors, `${entry.name}: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        inFlight -= 1;
        pending.delete(done);
      });
    pending.add(done);
  };
  const startedAt = performance.now();
  while (performance.now() - startedAt < options.durationMs) {
    const target = Math.floor(((performance.now() - startedAt) / 1000) * options.rate);
    for (; due < target; due += 1) {
      if (inFlight >= maxInFlight) totals.skipped += 1;
      else sendOne(totals.sent++);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(pending);
  for (const session of sessions) session.close();
  for (const agent of agents) agent.destroy();
  return totals;
}
