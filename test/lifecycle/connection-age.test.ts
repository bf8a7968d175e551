import { once } from 'node:events';
import { connect as connectHttp2 } from 'node:http2';
import { Agent } from 'node:https';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recycleConnections } from '../../src/lifecycle/connection-age.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { reviewFrom } from '../../testkit/captures.ts';
import { postHttp1, postOnSession } from '../../testkit/clients.ts';

const MAX_AGE_MS = 600;
const body = JSON.stringify(reviewFrom('02'));

let testApp: TestApp;
let origin: string;

beforeAll(async () => {
  testApp = await createTestApp();
  recycleConnections(testApp.app.server, { maxAgeMs: MAX_AGE_MS, jitter: 0 });
  origin = await testApp.listen();
});

afterAll(async () => {
  await testApp.app.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('connections are recycled after their maximum age', () => {
  it('HTTP/2: a GOAWAY once the age is reached, the review in flight still answered, the next on a new session', async () => {
    const session = connectHttp2(origin, { ca: testApp.certificates.caCert });
    session.on('error', () => undefined);
    const goaway = once(session, 'goaway').then(() => Date.now());
    const openedAt = Date.now();
    expect((await postOnSession(session, '/validate', body)).status).toBe(200);

    // A review whose body is still arriving when the age is reached.
    const stream = session.request({ ':method': 'POST', ':path': '/validate', 'content-type': 'application/json' });
    stream.write(body.slice(0, 100));
    const status = once(stream, 'response').then(([headers]) => (headers as Record<string, unknown>)[':status']);
    stream.resume();
    const goawayAt = await goaway;
    stream.end(body.slice(100));
    expect(await status).toBe(200);
    expect(goawayAt - openedAt).toBeGreaterThanOrEqual(MAX_AGE_MS - 50);
    await once(session, 'close');

    const next = connectHttp2(origin, { ca: testApp.certificates.caCert });
    try {
      expect((await postOnSession(next, '/validate', body)).status).toBe(200);
    } finally {
      next.close();
    }
  });

  it('HTTP/1.1: kept alive while young, then the next answer says Connection: close and the socket ends', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ALPNProtocols: ['http/1.1'] });
    const sockets = new Set<Socket>();
    agent.on('free', (socket: Socket) => sockets.add(socket));
    try {
      const options = { ca: testApp.certificates.caCert, agent };
      const young = await postHttp1(`${origin}/validate`, body, options);
      expect(young.status).toBe(200);
      expect(young.headers.connection).toBe('keep-alive');
      await sleep(MAX_AGE_MS + 100);
      const old = await postHttp1(`${origin}/validate`, body, options);
      expect(old.status).toBe(200);
      expect(old.headers.connection).toBe('close');
      const renewed = await postHttp1(`${origin}/validate`, body, options);
      expect(renewed.headers.connection).toBe('keep-alive');
      expect(sockets.size).toBe(2); // the first socket ended with its Connection: close answer
    } finally {
      agent.destroy();
    }
  });

  it('is off at 0', async () => {
    const other = await createTestApp();
    recycleConnections(other.app.server, { maxAgeMs: 0 });
    const otherOrigin = await other.listen();
    try {
      expect(other.app.server.listenerCount('session')).toBe(testApp.app.server.listenerCount('session') - 1);
      const session = connectHttp2(otherOrigin, { ca: other.certificates.caCert });
      let goaway = false;
      session.on('goaway', () => (goaway = true));
      await sleep(MAX_AGE_MS + 100);
      expect((await postOnSession(session, '/validate', body)).status).toBe(200);
      expect(goaway).toBe(false);
      session.close();
    } finally {
      await other.app.close();
    }
  });
});
