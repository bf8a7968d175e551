import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookError } from '../../src/errors.ts';
import type { ServingCertificate } from '../../src/tls/certificate.ts';
import { loadServingCertificate } from '../../src/tls/certificate.ts';
import { watchCertificateFiles } from '../../src/tls/certificate-files.ts';
import type { CertificateFilesOptions } from '../../src/tls/certificate-files.ts';
import type { CertificateSource } from '../../src/tls/certificate-source.ts';
import type { GeneratedCertificate } from '../../src/tls/self-signed.ts';
import { createTestCertificates, issueTestCertificate, rsaCertificate } from '../../testkit/certificates.ts';
import { handshake, recordingLogger, sleep, startServer, waitForFingerprint } from './tls-probe.ts';
import type { RecordingLogger, RunningServer } from './tls-probe.ts';

// Longer than the default debounce (100 ms) plus a re-read: if a change were going to be
// applied, it would have been by then.
const SETTLE_MS = 400;

let caCert: string;
let first: GeneratedCertificate;
let second: GeneratedCertificate;
let third: GeneratedCertificate;

beforeAll(async () => {
  const certs = await createTestCertificates();
  caCert = certs.caCert;
  first = await issueTestCertificate(certs.ca);
  second = await issueTestCertificate(certs.ca);
  third = await issueTestCertificate(certs.ca);
});

function fingerprintOf(pair: GeneratedCertificate): string {
  return loadServingCertificate(pair.cert, pair.key).fingerprint256;
}

let directory: string;
let certFile: string;
let keyFile: string;
let logger: RecordingLogger;
let cleanups: (() => unknown)[];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cert-files-'));
  certFile = join(directory, 'tls.crt');
  keyFile = join(directory, 'tls.key');
  logger = recordingLogger();
  cleanups = [];
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await rm(directory, { recursive: true, force: true });
});

async function writePair(pair: GeneratedCertificate, files = { certFile, keyFile }): Promise<void> {
  await writeFile(files.certFile, pair.cert);
  await writeFile(files.keyFile, pair.key);
}

async function watchAndServe(extra: Partial<CertificateFilesOptions> = {}): Promise<{ source: CertificateSource; running: RunningServer }> {
  const source = await watchCertificateFiles({ certFile, keyFile, logger, ...extra });
  cleanups.push(() => source.close());
  const running = await startServer(source);
  cleanups.push(() => running.close());
  return { source, running };
}

/** What the kubelet does to a Secret volume (AtomicWriter): new directory, swap `..data`. */
async function publishLikeKubelet(pair: GeneratedCertificate, version: string, previous?: string): Promise<void> {
  const versionDirectory = join(directory, `..2026_11_22_02_50_${version}`);
  await mkdir(versionDirectory);
  await writeFile(join(versionDirectory, 'tls.crt'), pair.cert);
  await writeFile(join(versionDirectory, 'tls.key'), pair.key);
  await symlink(`..2026_11_22_02_50_${version}`, join(directory, '..data_tmp'));
  await rename(join(directory, '..data_tmp'), join(directory, '..data'));
  if (previous) await rm(join(directory, `..2026_11_22_02_50_${previous}`), { recursive: true });
}

describe('watchCertificateFiles: the next handshake presents the replaced certificate', () => {
  it('when the files are overwritten in place', async () => {
    await writePair(first);
    const changes: ServingCertificate[] = [];
    const { source, running } = await watchAndServe({ onChange: (certificate) => changes.push(certificate) });
    expect((await handshake(running.port, { ca: caCert })).fingerprint256).toBe(fingerprintOf(first));

    await writePair(second);
    await waitForFingerprint(running.port, caCert, fingerprintOf(second));
    expect(source.current().fingerprint256).toBe(fingerprintOf(second));
    expect(changes.map((certificate) => certificate.fingerprint256)).toEqual([fingerprintOf(second)]);
    expect(logger.records.some((record) => record.level === 'info' && /changed on disk/.test(record.message))).toBe(true);
  });

  it('when the files are deleted and created again', async () => {
    await writePair(first);
    const { running } = await watchAndServe();

    await rm(certFile);
    await rm(keyFile);
    // Long enough for the deletion to be seen and handled on its own: the new files must be
    // noticed as new entries in the directory, not as the tail of the same burst of events.
    await sleep(SETTLE_MS);
    expect((await handshake(running.port, { ca: caCert })).fingerprint256).toBe(fingerprintOf(first));
    await writePair(second);
    await waitForFingerprint(running.port, caCert, fingerprintOf(second));
  });

  it('when Kubernetes swaps the ..data symlink of a Secret volume, again and again', async () => {
    await publishLikeKubelet(first, '01');
    await symlink('..data/tls.crt', certFile);
    await symlink('..data/tls.key', keyFile);
    const { running } = await watchAndServe();
    expect((await handshake(running.port, { ca: caCert })).fingerprint256).toBe(fingerprintOf(first));

    await publishLikeKubelet(second, '02', '01');
    await waitForFingerprint(running.port, caCert, fingerprintOf(second));
    await publishLikeKubelet(third, '03', '02');
    await waitForFingerprint(running.port, caCert, fingerprintOf(third));
  });

  it('when only the timer can see it: the files are symlinks into a directory nobody watches', async () => {
    const elsewhere = join(directory, 'elsewhere');
    await mkdir(elsewhere);
    const targets = { certFile: join(elsewhere, 'tls.crt'), keyFile: join(elsewhere, 'tls.key') };
    await writePair(first, targets);
    await symlink(targets.certFile, certFile);
    await symlink(targets.keyFile, keyFile);
    const { running } = await watchAndServe({ recheckIntervalMs: 200 });

    await writePair(second, targets);
    await waitForFingerprint(running.port, caCert, fingerprintOf(second));
  });
});

describe('watchCertificateFiles: a pair that does not check out', () => {
  it('is not applied while half written (new certificate, old key), and is once the key arrives', async () => {
    await writePair(first);
    const errors: WebhookError[] = [];
    const { source, running } = await watchAndServe({ onError: (error) => errors.push(error) });

    await writeFile(certFile, second.cert);
    await sleep(SETTLE_MS);
    expect((await handshake(running.port, { ca: caCert })).fingerprint256).toBe(fingerprintOf(first));
    expect(source.current().fingerprint256).toBe(fingerprintOf(first));
    expect(errors.at(-1)?.message).toMatch(/key file .*tls\.key does not match certificate file .*tls\.crt/);
    const warning = logger.records.find((record) => record.level === 'warn');
    expect(warning?.message).toMatch(/still serving the previous certificate/);

    await writeFile(keyFile, second.key);
    await waitForFingerprint(running.port, caCert, fingerprintOf(second));
  });

  it('is not applied when its key is too weak for OpenSSL: the log says why, never that it was loaded', async () => {
    await writePair(first);
    const { running } = await watchAndServe();
    const before = logger.records.length;

    const weak = await rsaCertificate(1024);
    await writeFile(keyFile, weak.key);
    await writeFile(certFile, weak.cert);
    await sleep(SETTLE_MS);
    expect((await handshake(running.port, { ca: caCert })).fingerprint256).toBe(fingerprintOf(first));
    const after = logger.records.slice(before);
    const warning = after.find((record) => record.level === 'warn');
    expect(warning?.message).toBe('the certificate files cannot be used (yet); still serving the previous certificate');
    expect(String((warning?.fields as { error?: unknown } | undefined)?.error)).toMatch(
      /certificate file .*tls\.crt: CN=localhost has a weak key, 1024-bit RSA/,
    );
    // Before the check, the pair was announced as changed and then failed to apply.
    expect(after.filter((record) => record.level !== 'warn')).toEqual([]);
  });

  it('is not applied when garbage, and the server keeps answering', async () => {
    await writePair(first);
    const { running } = await watchAndServe();

    await writeFile(certFile, 'garbage');
    await sleep(SETTLE_MS);
    expect((await handshake(running.port, { ca: caCert })).fingerprint256).toBe(fingerprintOf(first));
    expect(logger.records.filter((record) => record.level === 'warn').length).toBeGreaterThan(0);
  });
});

describe('watchCertificateFiles: start and stop', () => {
  it('refuses to start without usable files, naming the file', async () => {
    await expect(watchCertificateFiles({ certFile, keyFile, logger })).rejects.toThrow(/cannot read certificate file .*tls\.crt: ENOENT/);
    await writeFile(certFile, first.cert);
    await expect(watchCertificateFiles({ certFile, keyFile, logger })).rejects.toThrow(/cannot read key file .*tls\.key: ENOENT/);
    await writeFile(keyFile, second.key);
    await expect(watchCertificateFiles({ certFile, keyFile, logger })).rejects.toMatchObject({
      code: 'SVW_ERR_CERTIFICATE_INVALID',
      message: expect.stringMatching(/key file .*tls\.key does not match certificate file .*tls\.crt/) as unknown,
    });
  });

  it('stops following the files once closed', async () => {
    await writePair(first);
    const changes: ServingCertificate[] = [];
    const source = await watchCertificateFiles({ certFile, keyFile, logger, onChange: (c) => changes.push(c) });
    source.close();

    await writePair(second);
    await sleep(SETTLE_MS);
    expect(source.current().fingerprint256).toBe(fingerprintOf(first));
    expect(changes).toEqual([]);
  });
});
