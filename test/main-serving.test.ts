/** The real process serving: a fresh start, and SIGTERM with traffic and requests in flight. */
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as connectHttp2 } from 'node:http2';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { reviewFrom } from '../testkit/captures.ts';
import { http2Client, postHttp1 } from '../testkit/clients.ts';
import { startWebhook } from './support/webhook-process.ts';

const temporaryDirectory = () => mkdtempSync(join(tmpdir(), 'snapshot-webhook-test-'));

describe('a fresh start with no certificate and no cluster', () => {
  it('makes a self-signed certificate, writes its CA, says the default-class rule is off, and answers', async () => {
    const caFile = join(temporaryDirectory(), 'ca.crt');
    const webhook = await startWebhook(['--self-signed-ca-file', caFile, '--drain-seconds', '0']);
    try {
      expect(webhook.caFile).toBe(caFile);
      expect(webhook.logs.some((line) => String(line.msg).includes('the default-class rule'))).toBe(true);
      const ca = readFileSync(caFile, 'utf8');
      const response = await postHttp1(`https://localhost:${webhook.admissionPort}/validate`, JSON.stringify(reviewFrom('02')), { ca });
      expect(JSON.parse(response.text)).toMatchObject({ response: { allowed: true } });
      const ready = await fetch(`http://127.0.0.1:${webhook.metricsPort}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      webhook.child.kill('SIGTERM');
      expect(await webhook.exited).toBe(0);
    }
  });
});

describe('SIGTERM under traffic', () => {
  it('becomes unready, keeps serving through the drain, fails no request, exits 0', async () => {
    const caFile = join(temporaryDirectory(), 'ca.crt');
    const webhook = await startWebhook(['--self-signed-ca-file', caFile, '--drain-seconds', '1.5']);
    const ca = readFileSync(caFile, 'utf8');
    const origin = `https://localhost:${webhook.admissionPort}`;
    const body = JSON.stringify(reviewFrom('02'));
    let sending = true;
    const results = { ok: 0, failed: [] as string[] };
    const record = (promise: Promise<{ status: number }>) =>
      promise.then(
        (response) => (response.status === 200 ? (results.ok += 1) : results.failed.push(`status ${response.status}`)),
        (error: unknown) => results.failed.push(String(error)),
      );
    const http2Loop = async () => {
      const client = http2Client(origin, ca);
      while (sending) await record(client.post('/validate?timeout=3s', body));
      client.close();
    };
    const http1Loop = async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1, ALPNProtocols: ['http/1.1'] });
      while (sending) await record(postHttp1(`${origin}/validate`, body, { ca, agent }));
      agent.destroy();
    };
    const loops = [http2Loop(), http2Loop(), http1Loop(), http1Loop()];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const beforeSignal = results.ok;
    webhook.child.kill('SIGTERM');
    // The kubelet sees unready and the endpoint goes; until it does, traffic keeps coming.
    let readiness = 200;
    while (readiness === 200) {
      readiness = (await fetch(`http://127.0.0.1:${webhook.metricsPort}/readyz`)).status;
    }
    expect(readiness).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 700));
    sending = false;
    await Promise.all(loops);
    const code = await webhook.exited;
    expect(results.failed).toEqual([]);
    expect(results.ok).toBeGreaterThan(beforeSignal);
    expect(code).toBe(0);
    expect(webhook.logs.map((line) => line.msg)).toContain('shut down');
  });
});

describe('SIGTERM with requests in flight', () => {
  it('finishes a request whose body is still arriving when the drain ends, over HTTP/1.1 and HTTP/2, then exits 0', async () => {
    const caFile = join(temporaryDirectory(), 'ca.crt');
    const webhook = await startWebhook(['--self-signed-ca-file', caFile, '--drain-seconds', '0.5']);
    const ca = readFileSync(caFile, 'utf8');
    const body = JSON.stringify(reviewFrom('02'));
    const half = body.length >> 1;

    const socket = tlsConnect({ port: webhook.admissionPort, host: '127.0.0.1', servername: 'localhost', ca, ALPNProtocols: ['http/1.1'] });
    await once(socket, 'secureConnect');
    socket.write(
      `POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    socket.write(body.slice(0, half));
    const http1Answer = readAll(socket);

    const session = connectHttp2(`https://localhost:${webhook.admissionPort}`, { ca });
    const stream = session.request({ ':method': 'POST', ':path': '/validate', 'content-type': 'application/json' });
    stream.write(body.slice(0, half));
    const http2Status = once(stream, 'response').then(([headers]) => (headers as Record<string, unknown>)[':status']);
    stream.resume();

    webhook.child.kill('SIGTERM');
    await webhook.waitForLog((line) => line.msg === 'shutting down: unready, draining', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // past the drain: the server is closing
    socket.end(body.slice(half));
    stream.end(body.slice(half));

    expect(await http2Status).toBe(200);
    expect(await http1Answer).toMatch(/^HTTP\/1\.1 200 /);
    session.close();
    expect(await webhook.exited).toBe(0);
  });
});

async function readAll(socket: TLSSocket): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
