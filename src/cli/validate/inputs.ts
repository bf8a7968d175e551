import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { CommandIO } from '../io.ts';
import { ManifestSyntaxError, parseManifests } from './manifests.ts';
import type { ManifestFile } from './manifests.ts';
import { describeError } from '../../errors.ts';

/** The paths of `validate` (and of --against) → parsed manifest files. */
export const STDIN_PATH = '-';
export const STDIN_NAME = '<stdin>';
const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

export interface ReadManifests {
  readonly files: readonly ManifestFile[];
  /** Inputs that cannot be read or parsed: each names the file (and the YAML position). */
  readonly problems: readonly string[];
  /** Worth saying but not wrong, e.g. a directory without manifests (a wrong path in CI passes silently otherwise). */
  readonly notes: readonly string[];
}

/** Every input is read and parsed before anything is checked, so that all unreadable ones are reported at once. */
export async function readManifests(paths: readonly string[], io: CommandIO): Promise<ReadManifests> {
  const files: ManifestFile[] = [];
  const found: Findings = { problems: [], notes: [] };
  for (const path of paths) {
    const named = path === STDIN_PATH ? [STDIN_PATH] : await filesAt(path, io.cwd, found);
    for (const file of named) {
      const parsed = await readOne(file, io);
      if (typeof parsed === 'string') found.problems.push(parsed);
      else files.push(parsed);
    }
  }
  return { files, ...found };
}

/** What reading turns up besides manifests; filled in as the paths are read, in their order. */
interface Findings {
  readonly problems: string[];
  readonly notes: string[];
}

async function readOne(file: string, io: CommandIO): Promise<ManifestFile | string> {
  let text: string;
  try {
    text = file === STDIN_PATH ? await readAll(io.stdin) : await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    return `cannot read ${file === STDIN_PATH ? STDIN_NAME : file}: ${reasonOf(error)}`;
  }
  try {
    return parseManifests(file === STDIN_PATH ? STDIN_NAME : file, text);
  } catch (error) {
    if (error instanceof ManifestSyntaxError) return error.message;
    throw error;
  }
}

/** A named file is read whatever its extension; a directory contributes its manifest files, recursively. */
async function filesAt(path: string, cwd: string, found: Findings): Promise<string[]> {
  const isDirectory = await stat(resolve(cwd, path)).then(
    (stats) => stats.isDirectory(),
    () => false, // readOne reports the missing file with its reason.
  );
  if (!isDirectory) return [path];
  const problemsBefore = found.problems.length;
  const files = await walk(path, cwd, found.problems);
  // Without files and without a problem: a wrong path in CI would pass silently otherwise.
  if (files.length === 0 && found.problems.length === problemsBefore) {
    found.notes.push(`no ${MANIFEST_EXTENSIONS.join(', ')} files under ${path}`);
  }
  return files;
}

/**
 * Sorted, so reports are stable. Hidden directories (.git, .github) are skipped, and symbolic
 * links to directories are not followed, so a walk cannot loop. A directory that cannot be
 * listed (no permission, gone since it was found) is a problem; the walk goes on, so that all
 * are reported at once.
 */
async function walk(directory: string, cwd: string, problems: string[]): Promise<string[]> {
  const entries = await listDirectory(directory, cwd, problems);
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith('.')) files.push(...(await walk(path, cwd, problems)));
    else if (!entry.isDirectory() && MANIFEST_EXTENSIONS.some((extension) => entry.name.endsWith(extension))) {
      files.push(path);
    }
  }
  return files;
}

async function listDirectory(directory: string, cwd: string, problems: string[]): Promise<Dirent[]> {
  try {
    const entries = await readdir(resolve(cwd, directory), { withFileTypes: true });
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (error) {
    problems.push(`cannot read ${directory}: ${reasonOf(error)}`);
    return [];
  }
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
};

function reasonOf(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return REASONS[code] ?? describeError(error);
}
