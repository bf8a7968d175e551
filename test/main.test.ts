import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect as connectHttp2 } from 'node:http2';
import { createServer, type AddressInfo } from 'node:net';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { reviewFrom } from './support/captures.ts';
import { http2Client, postHttp1 } from './support/clients.ts';
import { trackChild } from './support/children.ts';
import { REPO, runToExit, startWebhook } from './support/webhook-process.ts';

/** The real process: start-up, configuration errors, and SIGTERM under traffic. */
const temporaryDirectory = () => mkdtempSync(join(tmpdir(), 'snapshot-webhook-test-'));

describe('configuration', () => {
  it.each([[['--help']], [['-h']], [['serve', '--help']], [['--port', '18999', '--help']]])('%j lists every flag with its environment variable', async (args) => {
    const { code, stdout } = await runToExit(args);
    expect(code).toBe(0);
    for (const text of ['--port', 'SNAPSHOT_WEBHOOK_PORT', '--tls-cert-file', '--kubeconfig', '--drain-seconds', '--body-limit-bytes']) {
      expect(stdout).toContain(text);
    }
  });

  it.each([
    [['--port', '70000'], {}, /--port: must be <= 65535 \(got 70000\)/],
    [['--port', 'http'], {}, /--port: must be a number \(got "http"\)/],
    [['--log-level=loud'], {}, /--log-level: must be one of \["fatal","error","warn","info","debug","trace","silent"\]/],
    [['--prevent-volume-mode-conversion=maybe'], {}, /--prevent-volume-mode-conversion: must be true or false/],
    [['--no-such-flag'], {}, /unknown flag --no-such-flag \(see --help\)/],
    [['--kubeconfig'], {}, /--kubeconfig needs a value/],
    [['--keep-alive-timeout-seconds', '10'], {}, /--keep-alive-timeout-seconds: must be >= 90 \(got 10\)/],
    [[], { SNAPSHOT_WEBHOOK_DRAIN_SECONDS: '-1' }, /SNAPSHOT_WEBHOOK_DRAIN_SECONDS: must be >= 0 \(got -1\)/],
    [['--tls-cert-file', '/nonexistent/tls.crt'], {}, /--tls-cert-file and --tls-private-key-file must be given together/],
    [['--kubeconfig', '/nonexistent/kubeconfig'], {}, /cannot load kubeconfig \/nonexistent\/kubeconfig/],
  ] as const)('%j %j exits 2 naming the value', async (args, env, message) => {
    const { code, stderr } = await runToExit(args, env);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^snapshot-webhook: SVW_ERR_CONFIG_INVALID: /);
    expect(stderr).toMatch(message);
  });

  it('reads the certificate files and the kubeconfig before it binds a port, so a taken port hides neither', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = String((taken.address() as AddressInfo).port);
    try {
      const files = await runToExit(['--port', port, '--metrics-port', port, '--tls-cert-file', '/nonexistent/tls.crt', '--tls-private-key-file', '/nonexistent/tls.key']);
      expect(files.stderr).toContain('/nonexistent/tls.crt');
      expect(files.stderr).not.toContain('EADDRINUSE');
      const kubeconfig = await runToExit(['--port', port, '--metrics-port', port, '--kubeconfig', '/nonexistent/kubeconfig']);
      expect(kubeconfig.stderr).toMatch(/cannot load kubeconfig \/nonexistent\/kubeconfig/);
      expect(kubeconfig.stderr).not.toContain('EADDRINUSE');
    } finally {
      taken.close();
    }
  });

  it('a certificate file that cannot be read exits 1 naming the file', async () => {
    const { code, stderr } = await runToExit(['--tls-cert-file', '/nonexistent/tls.crt', '--tls-private-key-file', '/nonexistent/tls.key']);
    expect(code).toBe(1);
    expect(stderr).toContain('/nonexistent/tls.crt');
  });
});

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
    socket.write(`POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
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

describe('validate through the real executable', () => {
  it('exits 0 on good manifests, 1 on bad ones, 2 on a missing file', async () => {
    const good = await runToExit(['validate', 'test/fixtures/manifests/good']);
    expect(good.code).toBe(0);
    const bad = await runToExit(['validate', 'test/fixtures/manifests/bad']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/VolumeSnapshot default\/both: spec\.source: Invalid value: /);
    const missing = await runToExit(['validate', 'no/such/file.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no/such/file.yaml');
  });
});

describe('npm start from another directory', () => {
  it('resolves the paths given to validate against the directory the command was typed in', async () => {
    const child = trackChild(
      spawn('npm', ['start', '--silent', '--', 'validate', 'good'], {
        cwd: join(REPO, 'test/fixtures/manifests'),
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(output).not.toMatch(/cannot read|no such/i);
    expect(code).toBe(0);
  });
});

describe('audit through the real executable', () => {
  it('exits 2 with a message when there is no cluster to audit', async () => {
    const { code, stderr } = await runToExit(['audit']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/kubeconfig|cluster/i);
  });
});
