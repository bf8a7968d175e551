/**
 * The entry's version check, and the entry itself run by an old Node: the Node that runs npm on
 * this machine when it is older than 24 (npm_node_execpath), else any older `node` on the PATH.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../src/node-version.ts';

describe('nodeVersionProblem', () => {
  it('accepts 24.9 and newer, and names the version found and the one needed otherwise', () => {
    for (const version of ['24.9.0', '24.21.0', '25.0.0', '30.1.2']) expect(nodeVersionProblem(version, '/usr/bin/node')).toBeUndefined();
    for (const version of ['24.8.9', '22.19.0', '20.20.2', '0.0.0']) {
      expect(nodeVersionProblem(version, '/usr/bin/node')).toBe(
        `needs Node.js 24.9 or newer, but /usr/bin/node is ${version}: run it with Node 24 (npm ci puts one in node_modules/.bin, which npm start uses)`,
      );
    }
  });
});

function olderNode(): string | undefined {
  const candidates = [
    process.env.npm_node_execpath,
    ...(spawnSync('which', ['-a', 'node'], { encoding: 'utf8' }).stdout ?? '').split('\n'),
  ];
  return candidates.find((path) => {
    if (path === undefined || path === '') return false;
    const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
    return /^v\d+\./.test(version) && nodeVersionProblem(version.slice(1), path) !== undefined;
  });
}

const OLD_NODE = olderNode();

describe.skipIf(OLD_NODE === undefined)(`the entry under an old Node (${OLD_NODE ?? 'none found'})`, () => {
  const directory = mkdtempSync(join(tmpdir(), 'snapshot-webhook-entry-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('exits 2 with one line that says what is needed, loading nothing else (as built into dist/)', () => {
    // The entry and its one import, compiled as the build compiles them; the program itself is
    // left out on purpose: were the check to let an old Node through, the import would fail.
    for (const name of ['main', 'node-version']) {
      const source = readFileSync(new URL(`../src/${name}.ts`, import.meta.url), 'utf8');
      const output = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, rewriteRelativeImportExtensions: true },
        fileName: `${name}.ts`,
      });
      writeFileSync(join(directory, `${name}.js`), output.outputText);
    }
    writeFileSync(join(directory, 'package.json'), '{"type":"module"}');
    const run = spawnSync(OLD_NODE ?? 'node', [join(directory, 'main.js'), 'validate', 'x.yaml'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^snapshot-webhook: needs Node\.js 24\.9 or newer, but \S+ is \d+\.\d+\.\d+: run it with Node 24 \(npm ci puts one in node_modules\/\.bin, which npm start uses\)\n$/,
    );
  });
});
