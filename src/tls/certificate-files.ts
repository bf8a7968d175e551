/**
 * The serving certificate read from a cert file and a key file, reloaded when they change.
 *
 * The directories are watched, not the files: Kubernetes updates a Secret volume by writing a
 * new timestamped directory and renaming a `..data` symlink over the old one, and editors and
 * tools delete and recreate files, and a watch on the file itself would stay on the old inode
 * and go quiet. fs.watch can also miss events, so a slow timer re-reads the files regardless.
 *
 * A pair that does not check out (typically the cert already replaced and the key not yet) is
 * never applied: the previous certificate keeps being served until the next event or tick.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeError, WebhookError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { loadServingCertificate } from './certificate.ts';
import type { ServingCertificate } from './certificate.ts';
import { certificateLogFields } from './certificate-log.ts';
import type { CertificateListener, CertificateSource } from './certificate-source.ts';

export interface CertificateFilesOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly logger: Logger;
  /** Called with each new certificate that was applied. */
  readonly onChange?: CertificateListener;
  /** Called when changed files could not be used; the previous certificate stays. */
  readonly onError?: (error: WebhookError) => void;
  /** Quiet time after the last file event before re-reading: lets a writer finish. */
  readonly debounceMs?: number;
  /** Re-read this often even without events. */
  readonly recheckIntervalMs?: number;
}

const DEFAULT_DEBOUNCE_MS = 100;
const DEFAULT_RECHECK_INTERVAL_MS = 60_000;

/**
 * Loads the pair, then keeps it current.
 * @throws WebhookError CERTIFICATE_INVALID naming the file, if the files cannot be used now.
 */
export async function watchCertificateFiles(options: CertificateFilesOptions): Promise<CertificateSource> {
  const initial = await readCertificateFiles(options.certFile, options.keyFile);
  const watcher = new CertificateFileWatcher(options, initial);
  watcher.start();
  options.logger.info(
    { certFile: options.certFile, keyFile: options.keyFile, ...certificateLogFields(initial) },
    'serving certificate loaded; watching its files for changes',
  );
  return watcher;
}

export async function readCertificateFiles(certFile: string, keyFile: string): Promise<ServingCertificate> {
  // Both read at once, but a failure is reported certificate first, so the message does not
  // depend on which read lost the race.
  const [cert, key] = await Promise.allSettled([readText(certFile, 'certificate'), readText(keyFile, 'key')]);
  if (cert.status === 'rejected') throw cert.reason;
  if (key.status === 'rejected') throw key.reason;
  return loadServingCertificate(cert.value, key.value, {
    certificate: `certificate file ${certFile}`,
    key: `key file ${keyFile}`,
  });
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason = describeError(error);
    throw new WebhookError('CERTIFICATE_INVALID', `cannot read ${what} file ${file}: ${reason}`);
  }
}

class CertificateFileWatcher implements CertificateSource {
  readonly #options: CertificateFilesOptions;
  readonly #listeners = new Set<CertificateListener>();
  readonly #watchers = new Map<string, FSWatcher>();
  #certificate: ServingCertificate;
  #debounceTimer: NodeJS.Timeout | undefined;
  #recheckTimer: NodeJS.Timeout | undefined;
  #reloading = false;
  #reloadAgain = false;
  #closed = false;

  constructor(options: CertificateFilesOptions, initial: ServingCertificate) {
    this.#options = options;
    this.#certificate = initial;
    if (options.onChange) this.#listeners.add(options.onChange);
  }

  start(): void {
    this.#watchDirectories();
    this.#recheckTimer = setInterval(() => {
      // Also recovers a directory watch that failed: the directory may exist again by now.
      this.#watchDirectories();
      void this.#reload();
    }, this.#options.recheckIntervalMs ?? DEFAULT_RECHECK_INTERVAL_MS);
    this.#recheckTimer.unref();
  }

  current(): ServingCertificate {
    return this.#certificate;
  }

  onChange(listener: CertificateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#debounceTimer);
    clearInterval(this.#recheckTimer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    this.#listeners.clear();
  }

  #watchDirectories(): void {
    const directories = new Set([dirname(this.#options.certFile), dirname(this.#options.keyFile)]);
    for (const directory of directories) {
      if (!this.#watchers.has(directory)) this.#watchDirectory(directory);
    }
  }

  #watchDirectory(directory: string): void {
    try {
      // Any entry may matter (..data, the timestamped directories), so events are not filtered.
      const watcher = watch(directory, { persistent: false }, () => this.#scheduleReload());
      watcher.on('error', (error) => this.#dropWatcher(directory, error));
      this.#watchers.set(directory, watcher);
    } catch (error) {
      this.#dropWatcher(directory, error);
    }
  }

  #dropWatcher(directory: string, error: unknown): void {
    this.#watchers.get(directory)?.close();
    this.#watchers.delete(directory);
    this.#options.logger.warn(
      { directory, error: describeError(error) },
      'cannot watch the certificate directory; relying on the periodic re-read until it can',
    );
  }

  #scheduleReload(): void {
    clearTimeout(this.#debounceTimer);
    this.#debounceTimer = setTimeout(() => void this.#reload(), this.#options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  }

  /** One reload at a time; a request during one runs another right after it. */
  async #reload(): Promise<void> {
    if (this.#reloading) {
      this.#reloadAgain = true;
      return;
    }
    this.#reloading = true;
    try {
      do {
        this.#reloadAgain = false;
        await this.#reloadOnce();
      } while (this.#reloadAgain && !this.#closed);
    } finally {
      this.#reloading = false;
    }
  }

  async #reloadOnce(): Promise<void> {
    const { certFile, keyFile, logger } = this.#options;
    let next: ServingCertificate;
    try {
      next = await readCertificateFiles(certFile, keyFile);
    } catch (error) {
      this.#reportUnusable(error);
      return;
    }
    if (this.#closed || isSamePair(next, this.#certificate)) return;
    const previous = this.#certificate;
    this.#certificate = next;
    logger.info(
      { certFile, keyFile, ...certificateLogFields(next), previousFingerprint256: previous.fingerprint256 },
      'serving certificate changed on disk; new connections get the new one',
    );
    for (const listener of this.#listeners) this.#notify(listener, next);
  }

  #reportUnusable(error: unknown): void {
    if (this.#closed) return;
    const problem = error instanceof WebhookError ? error : new WebhookError('CERTIFICATE_INVALID', String(error));
    this.#options.logger.warn(
      { code: problem.code, error: problem.message, servingFingerprint256: this.#certificate.fingerprint256 },
      'the certificate files cannot be used (yet); still serving the previous certificate',
    );
    this.#options.onError?.(problem);
  }

  #notify(listener: CertificateListener, certificate: ServingCertificate): void {
    try {
      listener(certificate);
    } catch (error) {
      this.#options.logger.error({ error: describeError(error) }, 'applying the new serving certificate failed');
    }
  }
}

function isSamePair(a: ServingCertificate, b: ServingCertificate): boolean {
  return a.cert === b.cert && a.key === b.key;
}
