import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startWebhook } from '../support/webhook-process.ts';
import { reviewFrom } from '../../testkit/captures.ts';
import {
  hangup,
  http2Session,
  http2Stream,
  readHttp1Response,
  requestHead,
  tcp,
  tlsHttp1,
  trickle,
  type Target,
} from './support/raw-clients.ts';

/**
 * Slow senders. With Node's defaults the admission server kept an HTTP/2 stream whose
 * body never came for ever, an HTTP/1.1 request whose headers or body stalled for 90 s or 330 s,
 * and a TLS handshake that never finished for 120 s. With --request-timeout-seconds every one of
 * them is cut off after the timeout (plus Node's 1 s check for HTTP/1.1), while idle keep-alive
 * connections between requests stay open as long as the keep-alive timeout says.
 */
const REQUEST_TIMEOUT_MS = 1_000;
const KEEP_ALIVE_MS = 4_000;
/**
 * The deadline, plus one HTTP/1.1 check interval, plus scheduling slack: a machine shared with
 * other test files stretched a 1 s deadline to 5 s once. What this guards against is Node's
 * defaults (90 to 330 s, or for ever), which stay far outside.
 */
const CUT_BY_MS = REQUEST_TIMEOUT_MS + 1_000 + 6_000;

let testApp: TestApp;
let target: Target;
const body = JSON.stringify(reviewFrom('02'));

beforeAll(async () => {
  testApp = await createTestApp({ requestTimeoutMs: REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: KEEP_ALIVE_MS });
  const origin = await testApp.listen();
  target = { port: Number(new URL(origin).port), ca: testApp.certificates.caCert };
});

afterAll(async () => {
  await testApp.app.close();
});

function expectCutOff(afterMs: number): void {
  expect(afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
  expect(afterMs).toBeLessThan(CUT_BY_MS);
}

describe.concurrent('a client that never finishes the TLS handshake', () => {
  it('is disconnected after the request timeout: silent after connecting, or after half a ClientHello', async () => {
    const startedAt = Date.now();
    const silent = tcp(target);
    const halfHello = tcp(target);
    halfHello.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    const [first, second] = await Promise.all([hangup(silent, startedAt), hangup(halfHello, startedAt)]);
    expectCutOff(first.afterMs);
    expectCutOff(second.afterMs);
  });
});

describe.concurrent('HTTP/1.1', () => {
  it('a connection that sends nothing, half the headers, or half the body gets 408 and is closed', async () => {
    const [silent, halfHead, halfBody] = await Promise.all([tlsHttp1(target), tlsHttp1(target), tlsHttp1(target)]);
    const startedAt = Date.now();
    halfHead.write(requestHead(body).slice(0, 40));
    halfBody.write(requestHead(body) + body.slice(0, body.length / 2));
    const results = await Promise.all([silent, halfHead, halfBody].map((socket) => hangup(socket, startedAt)));
    for (const result of results) {
      expectCutOff(result.afterMs);
      expect(result.firstLine).toBe('HTTP/1.1 408 Request Timeout');
      expect(result.received).toContain('"code":"SVW_ERR_REQUEST_TIMEOUT"');
    }
  });

  it('a sender that trickles its body (2 bytes every 100 ms) is cut off at the deadline, not kept alive by the trickle', async () => {
    const socket = await tlsHttp1(target);
    const startedAt = Date.now();
    socket.write(requestHead(body));
    trickle(
      (bytes) => socket.write(bytes),
      body,
      100,
      () => socket.destroyed,
    );
    const result = await hangup(socket, startedAt);
    expectCutOff(result.afterMs);
    expect(result.firstLine).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('an idle keep-alive connection between requests stays open past the request timeout', async () => {
    const socket = await tlsHttp1(target);
    socket.write(requestHead(body) + body);
    expect((await readHttp1Response(socket)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS * 2.5));
    expect(socket.destroyed).toBe(false);
    socket.write(requestHead(body) + body);
    expect((await readHttp1Response(socket)).status).toBe(200);
    socket.destroy();
  });

  it('a request whose body comes in a few quick pieces is answered', async () => {
    const socket = await tlsHttp1(target);
    socket.write(requestHead(body));
    for (const piece of [body.slice(0, 100), body.slice(100, 200), body.slice(200)]) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.write(piece);
    }
    expect((await readHttp1Response(socket)).status).toBe(200);
    socket.destroy();
  });
});

describe.concurrent('HTTP/2', () => {
  it('a stream whose body stalls, or trickles, gets 408 and is reset; the session goes on', async () => {
    const session = http2Session(target);
    const startedAt = Date.now();
    const [stalled, trickled] = await Promise.all([
      http2Stream(session, startedAt, (stream) => stream.write(body.slice(0, 50))),
      http2Stream(session, startedAt, (stream) =>
        trickle(
          (bytes) => stream.write(bytes),
          body,
          100,
          () => stream.closed,
        ),
      ),
    ]);
    for (const outcome of [stalled, trickled]) {
      expect(outcome.status).toBe(408);
      expect(JSON.parse(outcome.body)).toMatchObject({ statusCode: 408, code: 'SVW_ERR_REQUEST_TIMEOUT' });
      expect(outcome.afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(outcome.afterMs).toBeLessThan(CUT_BY_MS);
    }
    const next = await http2Stream(session, Date.now(), (stream) => stream.end(body));
    expect(next.status).toBe(200);
    session.close();
  });

  it('a session idle between requests stays open past the request timeout', async () => {
    const session = http2Session(target);
    expect((await http2Stream(session, Date.now(), (stream) => stream.end(body))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS * 2.5));
    expect(session.closed).toBe(false);
    expect((await http2Stream(session, Date.now(), (stream) => stream.end(body))).status).toBe(200);
    session.close();
  });
});

describe('the process', () => {
  it('takes the deadline from --request-timeout-seconds', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'snapshot-webhook-slow-'));
    const webhook = await startWebhook([
      '--request-timeout-seconds',
      '1',
      '--self-signed-ca-file',
      join(directory, 'ca.crt'),
      '--drain-seconds',
      '0',
    ]);
    try {
      const socket = await tlsHttp1({ port: webhook.admissionPort, ca: readFileSync(join(directory, 'ca.crt'), 'utf8') });
      const startedAt = Date.now();
      socket.write(requestHead(body));
      const result = await hangup(socket, startedAt);
      expectCutOff(result.afterMs);
      expect(result.received).toContain('"code":"SVW_ERR_REQUEST_TIMEOUT"');
    } finally {
      webhook.child.kill('SIGTERM');
      await webhook.exited;
      await rm(directory, { recursive: true, force: true });
    }
  });
});
