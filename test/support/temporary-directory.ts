import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A fresh directory for the tests of the file (or of the describe block) this is called in,
 * removed after them. Returns a path maker: `inDirectory('a', 'b')` is a path inside it,
 * `inDirectory()` the directory itself.
 */
export function temporaryDirectory(prefix: string): (...segments: string[]) => string {
  let directory = '';
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));
  return (...segments) => {
    if (directory === '') throw new Error('temporaryDirectory: used outside a test');
    return join(directory, ...segments);
  };
}
