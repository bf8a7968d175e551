/**
 * Constant review traffic from several connections, as the API server and other clients make
 * it: HTTP/2 sessions (kube-apiserver), HTTP/1.1 keep-alive connections, and HTTP/1.1 with a new
 * TLS connection every request (so that handshakes keep happening while certificates change).
 * Bounded in time and in count; every failure is kept with when and where it happened.
 */
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { Agent } from 'node:https';
import { postHttp1, postOnSession } from '../../../testkit/clients.ts';

export interface Backend {
  /** https://localhost:PORT */
  readonly origin: string;
  readonly ca: string;
  /** The name the certificate must carry, when it is not the origin's host (a Service's DNS name). */
  readonly servername?: string;
}

export interface Review {
  readonly body: string;
  /** The decision it must get: a wrong one counts as a failure too. */
  readonly expected: 'allowed' | 'denied';
}

export interface LoadOptions {
  /** Where the next request goes (a Service's endpoints); undefined while there is none. */
  readonly target: () => Backend | undefined;
  readonly reviews: readonly Review[];
  readonly http2Sessions?: number;
  readonly http1KeepAlive?: number;
  readonly http1Fresh?: number;
  readonly maxMs: number;
  readonly maxRequests?: number;
  /** Per request. */
  readonly timeoutMs?: number;
}

export interface Failure {
  /** Milliseconds since the load started. */
  readonly at: number;
  readonly origin: string;
  readonly client: string;
  readonly error: string;
}

export interface LoadResult {
  ok: number;
  readonly failures: Failure[];
  readonly startedAt: number;
  /** Requests per origin, to see traffic move during a rolling restart. */
  readonly byOrigin: Map<string, number>;
  /** Requests per kind of client (http2, http1-keepalive, http1-fresh: one handshake each). */
  readonly byClient: Map<string, number>;
}

export interface RunningLoad {
  readonly result: LoadResult;
  /** Stops sending, waits for the requests in flight, closes the clients. */
  stop(): Promise<LoadResult>;
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

type Send = (backend: Backend, review: Review) => Promise<Answer>;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function judge(answer: Answer, review: Review): string | undefined {
  if (answer.status !== 200) return `status ${answer.status}: ${answer.text.slice(0, 200)}`;
  const allowed = (JSON.parse(answer.text) as { response?: { allowed?: boolean } }).response?.allowed;
  const decision = allowed === true ? 'allowed' : 'denied';
  return decision === review.expected ? undefined : `${decision}, expected ${review.expected}`;
}

/** Over `agent`'s kept-alive connections, or (with false) over a new connection for every request. */
function http1Sender(agent: Agent | false): Send {
  return (backend, review) =>
    postHttp1(`${backend.origin}/validate?timeout=3s`, review.body, {
      ca: backend.ca,
      servername: backend.servername,
      agent: agent === false ? undefined : agent,
    });
}

/** One session per backend, replaced when the server closes it or sends GOAWAY, as Go's client does. */
function http2Sender(sessions: Map<string, ClientHttp2Session>): Send {
  const sessionFor = (backend: Backend): ClientHttp2Session => {
    const open = sessions.get(backend.origin);
    if (open !== undefined && !open.closed && !open.destroyed) return open;
    const session = connectHttp2(backend.origin, {
      ca: backend.ca,
      ...(backend.servername === undefined ? {} : { servername: backend.servername }),
    });
    session.on('error', () => undefined);
    session.on('goaway', () => sessions.delete(backend.origin));
    session.on('close', () => sessions.get(backend.origin) === session && sessions.delete(backend.origin));
    sessions.set(backend.origin, session);
    return session;
  };
  return (backend, review) => postOnSession(sessionFor(backend), '/validate?timeout=3s', review.body);
}

export function startLoad(options: LoadOptions): RunningLoad {
  const result: LoadResult = { ok: 0, failures: [], startedAt: Date.now(), byOrigin: new Map(), byClient: new Map() };
  const deadline = result.startedAt + options.maxMs;
  const maxRequests = options.maxRequests ?? 1_000_000;
  let sent = 0;
  let stopped = false;
  const sessions: Array<Map<string, ClientHttp2Session>> = [];
  const agents: Agent[] = [];

  const loop = async (client: string, send: Send): Promise<void> => {
    while (!stopped && Date.now() < deadline && sent < maxRequests) {
      const backend = options.target();
      if (backend === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      const review = options.reviews[sent % options.reviews.length] as Review;
      sent += 1;
      result.byOrigin.set(backend.origin, (result.byOrigin.get(backend.origin) ?? 0) + 1);
      const kind = client.replace(/-\d+$/, '');
      result.byClient.set(kind, (result.byClient.get(kind) ?? 0) + 1);
      const problem = await withTimeout(send(backend, review), options.timeoutMs ?? 5_000).then(
        (answer) => judge(answer, review),
        (error: unknown) => (error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}` : String(error)),
      );
      if (problem === undefined) result.ok += 1;
      else result.failures.push({ at: Date.now() - result.startedAt, origin: backend.origin, client, error: problem });
    }
  };

  const loops: Array<Promise<void>> = [];
  for (let index = 0; index < (options.http2Sessions ?? 2); index += 1) {
    const own = new Map<string, ClientHttp2Session>();
    sessions.push(own);
    loops.push(loop(`http2-${index}`, http2Sender(own)));
  }
  for (let index = 0; index < (options.http1KeepAlive ?? 2); index += 1) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ALPNProtocols: ['http/1.1'] });
    agents.push(agent);
    loops.push(loop(`http1-keepalive-${index}`, http1Sender(agent)));
  }
  for (let index = 0; index < (options.http1Fresh ?? 1); index += 1) loops.push(loop(`http1-fresh-${index}`, http1Sender(false)));

  return {
    result,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      for (const own of sessions) for (const session of own.values()) session.close();
      for (const agent of agents) agent.destroy();
      return result;
    },
  };
}

/** `12 failures: 3× http2-0 ECONNREFUSED …` or `none`, for assertion messages and the report. */
export function describeFailures(failures: readonly Failure[]): string {
  if (failures.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const failure of failures) {
    const key = `${failure.client} ${failure.error}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return `${failures.length} failures: ${[...counts].map(([key, count]) => `${count}× ${key}`).join('; ')}`;
}
