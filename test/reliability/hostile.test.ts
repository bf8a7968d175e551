/**
 * Hostile clients against the real server (serve(), TLS, loopback), each bounded to a few
 * seconds, with a legitimate client checked after each: the HTTP/2 stream limit, a session that
 * resets streams as fast as it can, a connection that never sends its preface, a body that holds
 * too many values, and the connection cap. The full-size attacks and their figures are in
 * docs/reliability.md.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningWebhook } from '../../src/serve.ts';
import { reviewFrom } from '../../testkit/captures.ts';
import { postHttp1, postOnSession } from '../../testkit/clients.ts';
import { FRAME, frame, headersFrame, rawSession } from '../../testkit/raw-http2.ts';
import { testWebhookConfig } from '../support/webhook-config.ts';

const directory = mkdtempSync(join(tmpdir(), 'snapshot-webhook-hostile-'));
const REQUEST_TIMEOUT_S = 1;
const MAX_CONNECTIONS = 20;
let webhook: RunningWebhook;
let ca: string;
let origin: string;
const review = JSON.stringify(reviewFrom('02'));
/** What the webhook logged at warn and above, one JSON line each. */
const logLines: string[] = [];

beforeAll(async () => {
  webhook = await serve(
    testWebhookConfig({
      selfSignedCaFile: join(directory, 'ca.crt'),
      requestTimeoutSeconds: REQUEST_TIMEOUT_S,
      maxConnections: MAX_CONNECTIONS,
    }),
    pino({ level: 'warn' }, { write: (line: string) => void logLines.push(line) }),
  );
  ca = readFileSync(join(directory, 'ca.crt'), 'utf8');
  origin = `https://localhost:${webhook.admissionPort}`;
});

afterAll(async () => {
  await webhook.shutdown();
});

function session(): ClientHttp2Session {
  const opened = connect(origin, { ca });
  opened.on('error', () => undefined);
  return opened;
}

async function legitimateReviewAnswered(): Promise<void> {
  const client = session();
  try {
    const started = performance.now();
    const answer = await postOnSession(client, '/validate', review);
    expect(answer.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_000);
    const probe = await fetch(`http://127.0.0.1:${webhook.metricsPort}/livez`);
    expect(probe.status).toBe(200);
  } finally {
    client.close();
  }
}

/** A TLS connection that has finished its handshake (offering `alpn`) and says nothing more. */
async function tlsSocket(alpn = 'http/1.1'): Promise<TLSSocket> {
  const socket = tlsConnect({ port: webhook.admissionPort, host: '127.0.0.1', servername: 'localhost', ca, ALPNProtocols: [alpn] });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('close', () => reject(new Error('closed before the handshake finished')));
  });
  return socket;
}

async function metric(name: string): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${webhook.metricsPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .join('\n');
}

describe('hostile clients', () => {
  it('advertises a bound on concurrent streams, and streams that hold their body are reset at the deadline', async () => {
    const holder = session();
    await once(holder, 'remoteSettings');
    expect(holder.remoteSettings.maxConcurrentStreams).toBe(100);
    const held = Array.from({ length: 50 }, () => {
      const stream = holder.request({ ':method': 'POST', ':path': '/validate', 'content-type': 'application/json' });
      stream.on('error', () => undefined);
      stream.resume();
      stream.write('{"apiVersion":');
      return once(stream, 'close');
    });
    await legitimateReviewAnswered();
    const started = performance.now();
    await Promise.all(held);
    expect(performance.now() - started).toBeLessThan((REQUEST_TIMEOUT_S + 2) * 1000);
    holder.close();
  });

  it('sends GOAWAY ENHANCE_YOUR_CALM to a session that resets streams as fast as it can, and counts no bad request', async () => {
    const badBefore = await metric('snapshot_webhook_bad_requests_total');
    const attacker = session();
    await once(attacker, 'remoteSettings');
    const goaway = once(attacker, 'goaway');
    let cut = false;
    void goaway.then(() => (cut = true));
    // Bursts of 400 streams reset at once, until the GOAWAY: a stream the server answered before its
    // reset arrived is no reset to it, and on a loaded machine many are answered first.
    for (let burst = 0; burst < 10 && !cut && !attacker.destroyed && !attacker.closed; burst += 1) {
      for (let index = 0; index < 400 && !attacker.destroyed && !attacker.closed; index += 1) {
        const stream = attacker.request({ ':method': 'POST', ':path': '/validate', 'content-type': 'application/json' });
        stream.on('error', () => undefined);
        stream.close(constants.NGHTTP2_CANCEL);
        if (index % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.race([goaway, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    const [code] = (await goaway) as [number];
    expect(code).toBe(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    expect(await metric('snapshot_webhook_connections_closed_total{reason="rapid-reset"}')).toMatch(/ 1$/);
    expect(await metric('snapshot_webhook_bad_requests_total')).toBe(badBefore);
    attacker.destroy();
    await legitimateReviewAnswered();
  });

  it('cuts a session that floods WINDOW_UPDATE frames with GOAWAY ENHANCE_YOUR_CALM, and not one that sends a large review', async () => {
    const flooder = await rawSession({ port: webhook.admissionPort, ca });
    // One request first, so that it is the flood that cuts the session, not the wait for a first request.
    await flooder.send(headersFrame(1, true));
    const increments = Buffer.concat(Array.from({ length: 1_000 }, () => frame(FRAME.windowUpdate, 0, 0, Buffer.from([0, 0, 0, 1]))));
    const until = performance.now() + 5_000;
    while (performance.now() < until && (await flooder.send(increments)));
    await Promise.race([flooder.closed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    expect(flooder.goawayCodes[0]).toBe(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    flooder.socket.destroy();
    expect(await metric('snapshot_webhook_connections_closed_total{reason="frame-flood"}')).toMatch(/ 1$/);
    const cutLines = logLines
      .map((line) => JSON.parse(line) as { reason?: string; msg?: string; remoteAddress?: string })
      .filter((line) => line.reason === 'frame-flood');
    expect(cutLines.map(({ msg }) => msg)).toEqual(['client connection cut']);
    expect(cutLines[0]?.remoteAddress).toMatch(/127\.0\.0\.1$/);

    const client = session();
    try {
      const large = reviewFrom('02', (body) => {
        const object = body.request.object as { metadata: { annotations?: Record<string, string> } };
        object.metadata.annotations = { note: 'x'.repeat(3 * 1024 * 1024) };
      });
      expect((await postOnSession(client, '/validate', JSON.stringify(large))).status).toBe(200);
      expect((await postOnSession(client, '/validate', review)).status).toBe(200);
    } finally {
      client.close();
    }
    expect(await metric('snapshot_webhook_connections_closed_total{reason="frame-flood"}')).toMatch(/ 1$/);
  });

  it('closes an HTTP/2 connection that never sends its preface, within the request timeout', async () => {
    const socket = await tlsSocket('h2');
    socket.resume();
    expect(socket.alpnProtocol).toBe('h2');
    const started = performance.now();
    await once(socket, 'close');
    expect(performance.now() - started).toBeLessThan((REQUEST_TIMEOUT_S + 2) * 1000);
    expect(await metric('snapshot_webhook_connections_closed_total{reason="no-request"}')).toMatch(/ [1-9]\d*$/);
  });

  it('refuses a body with too many values with a 413, before parsing it', async () => {
    const client = session();
    try {
      const bomb = `{"keys":{${Array.from({ length: 210_000 }, (_, index) => `"k${index}":0`).join(',')}}}`;
      const answer = await postOnSession(client, '/validate', bomb);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.text)).toMatchObject({ code: 'SVW_ERR_BODY_TOO_COMPLEX' });
    } finally {
      client.close();
    }
    await legitimateReviewAnswered();
  });

  it('at --max-connections, closes the oldest connection that has sent no request to let a new one in', async () => {
    const silent = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => tlsSocket()));
    const closed = silent.map((socket) => new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))));
    await legitimateReviewAnswered();
    expect(await Promise.race([closed[0], new Promise((resolve) => setTimeout(() => resolve(false), 1_000))])).toBe(true);
    expect(silent.slice(1).filter((socket) => socket.destroyed)).toEqual([]);
    expect(await metric('snapshot_webhook_connections_closed_total{reason="over-capacity"}')).toMatch(/ [1-9]\d*$/);
    for (const socket of silent) socket.destroy();
  });

  /** A connection that has sent one request and stays open: HTTP/2, or HTTP/1.1 kept alive. */
  const talkers = {
    'HTTP/2': async (): Promise<() => void> => {
      const client = session();
      expect((await postOnSession(client, '/validate', review)).status).toBe(200);
      return () => client.destroy();
    },
    'HTTP/1.1': async (): Promise<() => void> => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1, ALPNProtocols: ['http/1.1'] });
      expect((await postHttp1(`${origin}/validate`, review, { ca, agent })).status).toBe(200);
      return () => agent.destroy();
    },
  };

  it.each(Object.keys(talkers))(
    'refuses a new connection only when every connection has sent a request (%s), and serves again once they go',
    async (protocol) => {
      const talk = talkers[protocol as keyof typeof talkers];
      const closers = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => talk()));
      // Refused at accept: the handshake never completes (an accepted one would evict a talker).
      const refused = await tlsSocket().then(
        (socket) => {
          socket.destroy();
          return false;
        },
        () => true,
      );
      expect(refused).toBe(true);
      for (const close of closers) close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await legitimateReviewAnswered();
    },
  );
});
