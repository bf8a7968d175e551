import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trackChild } from './support/children.ts';
import { REPO, runToExit } from './support/webhook-process.ts';

/** The real process: start-up, configuration errors, and SIGTERM under traffic. */

describe('configuration', () => {
  it.each([[['--help']], [['-h']], [['serve', '--help']], [['--port', '18999', '--help']]])(
    '%j lists every flag with its environment variable',
    async (args) => {
      const { code, stdout } = await runToExit(args);
      expect(code).toBe(0);
      for (const text of ['--port', 'SNAPSHOT_WEBHOOK_PORT', '--tls-cert-file', '--kubeconfig', '--drain-seconds', '--body-limit-bytes']) {
        expect(stdout).toContain(text);
      }
    },
  );

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
      const files = await runToExit([
        '--port',
        port,
        '--metrics-port',
        port,
        '--tls-cert-file',
        '/nonexistent/tls.crt',
        '--tls-private-key-file',
        '/nonexistent/tls.key',
      ]);
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
