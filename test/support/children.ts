/**
 * Every process a test starts is tracked: the file's afterAll kills what is still running (also
 * when a test failed half-way), and the global teardown fails the run if one outlived its file.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Set by the global setup; every worker writes the pids it starts into this directory. */
export const CHILDREN_DIRECTORY_ENV = 'SNAPSHOT_WEBHOOK_TEST_CHILDREN';

const running = new Set<ChildProcess>();

export function trackChild<Child extends ChildProcess>(child: Child): Child {
  running.add(child);
  const directory = process.env[CHILDREN_DIRECTORY_ENV];
  const record = directory === undefined || child.pid === undefined ? undefined : join(directory, String(child.pid));
  if (record !== undefined) writeFileSync(record, (child.spawnargs.join(' ') || 'child').slice(0, 500));
  child.once('exit', () => {
    running.delete(child);
    if (record !== undefined) rmSync(record, { force: true });
  });
  return child;
}

/** Kills the children of this worker that are still running and waits until they are gone. */
export async function killRunningChildren(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export function createChildrenDirectory(path: string): void {
  mkdirSync(path, { recursive: true });
}

/** The children recorded as started and not seen exiting whose process is still alive. */
export function survivingChildren(path: string): Array<{ pid: number; command: string }> {
  return readdirSync(path)
    .map((name) => ({ pid: Number(name), command: readFileSync(join(path, name), 'utf8') }))
    .filter(({ pid }) => isAlive(pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
