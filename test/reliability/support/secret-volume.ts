/**
 * A directory laid out as the kubelet lays out a Secret volume (`tls.crt -> ..data/tls.crt`,
 * `..data -> ..<timestamp>`), and the ways certificate files get replaced in practice: the
 * kubelet's atomic symlink swap, an in-place rewrite (the certificate first, the key a moment
 * later), and delete-then-recreate.
 */
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pair {
  readonly cert: string;
  readonly key: string;
}

export class SecretVolume {
  readonly directory: string;
  #version = 0;

  private constructor(directory: string) {
    this.directory = directory;
  }

  /** `kubelet`: the symlinked layout of a Secret volume; `plain`: two regular files in a directory. */
  static async create(pair: Pair, layout: 'kubelet' | 'plain'): Promise<SecretVolume> {
    const volume = new SecretVolume(await mkdtemp(join(tmpdir(), 'snapshot-webhook-secret-')));
    if (layout === 'plain') {
      await writeFile(volume.certFile, pair.cert);
      await writeFile(volume.keyFile, pair.key);
      return volume;
    }
    await volume.swap(pair);
    await symlink('..data/tls.crt', volume.certFile);
    await symlink('..data/tls.key', volume.keyFile);
    return volume;
  }

  get certFile(): string {
    return join(this.directory, 'tls.crt');
  }

  get keyFile(): string {
    return join(this.directory, 'tls.key');
  }

  /** The kubelet's AtomicWriter: a new timestamped directory, then `..data` renamed over. */
  async swap(pair: Pair): Promise<void> {
    this.#version += 1;
    const name = `..2026_06_01_00_00_${String(this.#version).padStart(2, '0')}`;
    await mkdir(join(this.directory, name));
    await writeFile(join(this.directory, name, 'tls.crt'), pair.cert);
    await writeFile(join(this.directory, name, 'tls.key'), pair.key);
    await symlink(name, join(this.directory, '..data_tmp'));
    await rename(join(this.directory, '..data_tmp'), join(this.directory, '..data'));
  }

  /** A tool writing over the files where they are (a plain directory): for a moment the key does not match. */
  async rewriteInPlace(pair: Pair, gapMs = 50): Promise<void> {
    await writeFile(this.certFile, pair.cert);
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    await writeFile(this.keyFile, pair.key);
  }

  /** Both files gone for a moment, then written anew (a plain directory). */
  async deleteAndRecreate(pair: Pair, gapMs = 50): Promise<void> {
    await rm(this.certFile);
    await rm(this.keyFile);
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    await writeFile(this.certFile, pair.cert);
    await writeFile(this.keyFile, pair.key);
  }

  /** Each file written aside and renamed over the old one (a plain directory): atomic per file, not per pair. */
  async renameOver(pair: Pair): Promise<void> {
    await writeFile(`${this.certFile}.new`, pair.cert);
    await writeFile(`${this.keyFile}.new`, pair.key);
    await rename(`${this.certFile}.new`, this.certFile);
    await rename(`${this.keyFile}.new`, this.keyFile);
  }

  async remove(): Promise<void> {
    await rm(this.directory, { recursive: true, force: true });
  }
}
