/** Vitest global setup: the run fails if any process a test started is still alive at its end. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHILDREN_DIRECTORY_ENV, createChildrenDirectory, survivingChildren } from './children.ts';

export default function setup(): () => void {
  const directory = mkdtempSync(join(tmpdir(), 'snapshot-webhook-test-children-'));
  createChildrenDirectory(directory);
  process.env[CHILDREN_DIRECTORY_ENV] = directory;
  return () => {
    const survivors = survivingChildren(directory);
    for (const { pid } of survivors) process.kill(pid, 'SIGKILL');
    rmSync(directory, { recursive: true, force: true });
    if (survivors.length > 0) {
      const list = survivors.map(({ pid, command }) => `${pid} (${command})`).join(', ');
      throw new Error(`processes started by tests outlived them (killed now): ${list}`);
    }
  };
}
