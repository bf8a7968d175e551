import { once } from 'node:events';
import { connect, type TLSSocket } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trackConnections, type ConnectionTracker } from '../../src/lifecycle/connection-tracker.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { reviewFrom } from '../../testkit/captures.ts';

const body = JSON.stringify(reviewFrom('02'));

let testApp: TestApp;
let tracker: ConnectionTracker;
let port: number;

beforeEach(async () => {
  testApp = await createTestApp();
  tracker = trackConnections(testApp.app.server);
  port = Number(new URL(await testApp.listen()).port);
});

afterEach(async () => {
  tracker.destroyAll();
  await testApp.app.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw HTTP/1.1 connection, so that a request can be left half-sent. */
async function openHttp1(): Promise<{ socket: TLSSocket; received: () => string; closed: Promise<unknown> }> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: testApp.certificates.caCert,
    ALPNProtocols: ['http/1.1'],
  });
  await once(socket, 'secureConnect');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  return { socket, received: () => text, closed: once(socket, 'close') };
}

function head(length: number): string {
  return `POST /validate HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

describe('graceful close of HTTP/1.1 connections', () => {
  it('ends an idle keep-alive connection at once', async () => {
    const client = await openHttp1();
    client.socket.write(head(Buffer.byteLength(body)) + body);
    await until(() => client.received().includes('"uid"'));
    expect(client.received()).toMatch(/connection: keep-alive/i);
    expect(tracker.count()).toBe(1);
    tracker.closeGracefully();
    await client.closed;
    await until(() => tracker.count() === 0);
  });

  it('answers the request in flight, then ends the connection; a request after that is told Connection: close', async () => {
    const busy = await openHttp1();
    busy.socket.write(head(Buffer.byteLength(body)) + body.slice(0, 100));
    await sleep(50);
    tracker.closeGracefully();
    await sleep(50);
    expect(busy.socket.destroyed).toBe(false);
    busy.socket.write(body.slice(100));
    await busy.closed;
    expect(busy.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(busy.received()).toContain('"uid"');
  });

  it('tells a request that arrives while closing Connection: close, and ends after its answer', async () => {
    const client = await openHttp1();
    client.socket.write(head(Buffer.byteLength(body)) + body);
    await until(() => client.received().includes('"uid"'));
    // Pipelined behind a request still in flight when the close begins.
    client.socket.write(head(Buffer.byteLength(body)) + body.slice(0, 100));
    await sleep(50);
    tracker.closeGracefully();
    client.socket.write(body.slice(100) + head(Buffer.byteLength(body)) + body);
    await client.closed;
    const answers = client.received().split(/(?=HTTP\/1\.1 )/);
    expect(answers.map((answer) => answer.slice(0, 12))).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200']);
    expect(answers[2]).toMatch(/connection: close/i);
  });
});
