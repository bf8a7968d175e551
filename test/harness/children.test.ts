/** The harness that keeps tests from leaving processes behind must itself see a survivor. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHILDREN_DIRECTORY_ENV, killRunningChildren, survivingChildren, trackChild } from '../support/children.ts';

describe('child tracking', () => {
  const directory = mkdtempSync(join(tmpdir(), 'children-test-'));
  const previous = process.env[CHILDREN_DIRECTORY_ENV];
  afterAll(() => {
    process.env[CHILDREN_DIRECTORY_ENV] = previous;
    rmSync(directory, { recursive: true, force: true });
  });

  it('records a running child as a survivor, and forgets it once it was killed', async () => {
    process.env[CHILDREN_DIRECTORY_ENV] = directory;
    const child = trackChild(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }));
    await once(child, 'spawn');
    expect(survivingChildren(directory).map(({ pid }) => pid)).toEqual([child.pid]);
    await killRunningChildren();
    expect(child.signalCode).toBe('SIGKILL');
    expect(survivingChildren(directory)).toEqual([]);
    expect(readdirSync(directory)).toEqual([]);
  });
});
