/**
 * `npm test`: the type-check, the lint (with the import check), the format check and the fast tier side by side (none waits on a
 * clock), then the slow tier alone. Output of the parallel phase is printed per step when it ends,
 * so it does not interleave. Exits non-zero when any step failed, naming it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'node_modules', '.bin');

interface Step {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

interface Outcome {
  readonly name: string;
  readonly code: number | null;
  readonly seconds: number;
}

const PARALLEL: readonly Step[] = [
  { name: 'type-check', command: 'tsc', args: ['--noEmit'] },
  { name: 'lint', command: 'eslint', args: ['.'] },
  { name: 'import cycles and layers', command: 'node', args: ['test/tools/import-graph.ts'] },
  { name: 'format', command: 'prettier', args: ['--check', '--log-level', 'warn', '**/*.{ts,js}'] },
  { name: 'tests (fast tier)', command: 'vitest', args: ['run', '--project', 'fast'] },
];
const SLOW: Step = { name: 'tests (slow tier)', command: 'vitest', args: ['run', '--project', 'slow'] };

function run(step: Step, buffered: boolean): Promise<Outcome> {
  const started = performance.now();
  const child = spawn(join(BIN, step.command), step.args, { stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  const output: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  return new Promise((resolve) => {
    const finish = (code: number | null) => {
      if (buffered) process.stdout.write(`\n── ${step.name} ──\n${Buffer.concat(output).toString('utf8')}`);
      resolve({ name: step.name, code, seconds: (performance.now() - started) / 1000 });
    };
    child.once('error', (error) => {
      output.push(Buffer.from(`${step.command}: ${error.message}\n`));
      finish(127);
    });
    child.once('close', finish);
  });
}

const started = performance.now();
const outcomes = await Promise.all(PARALLEL.map((step) => run(step, true)));
if (outcomes.every((outcome) => outcome.code === 0)) outcomes.push(await run(SLOW, false));
const summary = outcomes.map(
  ({ name, code, seconds }) => `${name}: ${code === 0 ? 'ok' : `FAILED (exit ${String(code)})`} in ${seconds.toFixed(1)} s`,
);
process.stdout.write(`\n${summary.join('\n')}\nnpm test: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
const failed = outcomes.some((outcome) => outcome.code !== 0) || outcomes.length === PARALLEL.length;
process.exitCode = failed ? 1 : 0;
