/**
 * `npm run bench`: the webhook as production runs it (node dist/main.js, its own process) against a
 * baseline (bare Fastify, same TLS) under the same load, A/B over several rounds; the ratio's
 * calibration; the class-cache scaling; start-up and idle memory; a profiling pass. The report
 * goes to docs/benchmarks.{json,md}.
 *
 *   npm run bench                  full run (about 7 minutes on 2 cores), writes docs/
 *   npm run bench -- --quick       smoke run (about 1.5 minutes), writes .tmp/bench/
 *   npm run bench -- --help        options
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from '../testkit/processes.ts';
import { openContext, type Context } from './context.ts';
import { H2LOAD_MISSING, h2loadVersion } from './load.ts';
import { targets, writeReport } from './report.ts';
import { scenarios } from './reviews.ts';
import { runSections, type Plan } from './sections.ts';

const HELP = `npm run bench -- [options]
  --quick                 smoke run: 1 round of 1 s, writes to .tmp/bench unless --out is given
  --rounds N              HTTP/1.1 A/B rounds (default 3)
  --duration S            seconds per HTTP/1.1 run (default 1.5)
  --h2-rounds N           HTTP/2 A/B rounds (default 2; 0 or no h2load on PATH: none)
  --h2-duration S         seconds per HTTP/2 run (default 1.5)
  --classes LIST          class counts for the cache scaling (default 1,100,10000)
  --scenarios LIST        only these scenarios (mix and class-second-default are always kept)
  --sections LIST         only these sections (default: ab,profile,calibration,scaling,startup)
  --webhook-node-flags=F  extra node flags for the webhook process, e.g. "--max-old-space-size=192 --max-semi-space-size=2"
  --out DIR               where benchmarks.json and benchmarks.md go (default docs, or .tmp/bench with --quick)
`;

const SECTIONS = ['ab', 'profile', 'calibration', 'scaling', 'startup'];

/** The flags; an unknown one ends the bench with its name and the help. */
function readFlags(): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({
      options: {
        ...Object.fromEntries(
          ['rounds', 'duration', 'h2-rounds', 'h2-duration', 'scenarios', 'out'].map((name) => [name, { type: 'string' }]),
        ),
        sections: { type: 'string', default: SECTIONS.join(',') },
        classes: { type: 'string', default: '1,100,10000' },
        'webhook-node-flags': { type: 'string', default: '' },
        ...Object.fromEntries(['quick', 'help'].map((name) => [name, { type: 'boolean', default: false }])),
      },
    }).values;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${HELP}`);
    process.exit(2);
  }
}

const values = readFlags();
const quick = values.quick === true;

/** The flag's value as a positive number (or ≥ 0 with allowZero), or the default; anything else ends the bench naming the flag. */
function numberOf(name: string, fallback: number, allowZero = false): number {
  const text = values[name];
  const value = typeof text === 'string' ? Number(text) : fallback;
  if (!(value > 0 || (allowZero && value === 0)))
    throw new Error(`--${name} must be a ${allowZero ? 'number ≥ 0' : 'positive number'}, not ${String(text)}`);
  return value;
}

const started = Date.now();
const log = (line: string) => process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}\n`);
const git = (...args: string[]) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' }).stdout?.trim() ?? '';

/** The sections and their sizes from the flags; a bad value ends the bench naming it. */
function planOf(h2load: string | undefined): Plan {
  const classCounts = String(values.classes).split(',').map(Number);
  if (classCounts.some((classes) => !Number.isInteger(classes) || classes < 1))
    throw new Error(`--classes must list whole numbers ≥ 1, not ${String(values.classes)}`);
  const sections = String(values.sections).split(',');
  const unknown = sections.filter((section) => !SECTIONS.includes(section));
  if (unknown.length > 0) throw new Error(`--sections: no section ${unknown.join(', ')} (${SECTIONS.join(', ')})`);
  return {
    ...{ sections, classCounts, quick, rounds: numberOf('rounds', quick ? 1 : 3), durationSeconds: numberOf('duration', quick ? 1 : 1.5) },
    h2Rounds: h2load === undefined ? 0 : numberOf('h2-rounds', quick ? 1 : 2, true),
    h2DurationSeconds: numberOf('h2-duration', quick ? 1 : 1.5),
  };
}

function header(context: Context, h2load: string | undefined, before: number[]): string[] {
  const average = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ');
  const changed = git('status', '--porcelain', '--', 'src', 'schemas')
    .split('\n')
    .filter(Boolean)
    .map((line) => `\`${line.slice(3)}\``);
  const flags = context.webhookNodeFlags.join(' ');
  const rounds = (name: string, fallback: number) => `${numberOf(name, fallback, true)}`;
  const { version: autocannon } = JSON.parse(readFileSync(join(REPO, 'node_modules/autocannon/package.json'), 'utf8')) as {
    version: string;
  };
  return [
    `Run of ${new Date().toISOString()} on ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${type()} ${release()}; ` +
      `load average ${average(before)} before, ${average(loadavg())} after. The load generator runs on the same machine.`,
    `Source: commit ${git('rev-parse', '--short', 'HEAD') || 'unknown'}${changed.length === 0 ? ', no uncommitted changes.' : ` with uncommitted changes in ${changed.join(', ')}.`}`,
    ...(flags ? [`The webhook ran with \`${flags}\` (an experiment, not the production command).`] : []),
    `Load generators: autocannon ${autocannon} (HTTP/1.1, in its own process; 1 thread); ${h2load ? `${h2load} (HTTP/2, 1 thread)` : 'HTTP/2 not measured (h2load missing)'}. ` +
      `HTTP/1.1: ${rounds('rounds', quick ? 1 : 3)} rounds of ${rounds('duration', quick ? 1 : 1.5)} s per server, scenario and shape; ` +
      `HTTP/2: ${rounds('h2-rounds', quick ? 1 : 2)} rounds of ${rounds('h2-duration', quick ? 1 : 1.5)} s. Figures are medians over the rounds; ` +
      `the ratio is the median of each round's webhook ÷ baseline pair. Bench wall time: ${Math.round((Date.now() - started) / 1000)} s.`,
  ];
}

async function main(): Promise<void> {
  if (!existsSync(join(REPO, 'dist/main.js'))) throw new Error('dist/main.js is missing: run `npm run build` (npm run bench does it)');
  const before = loadavg();
  const h2load = h2loadVersion();
  if (h2load === undefined) log(H2LOAD_MISSING);
  const plan = planOf(h2load);
  const wanted =
    typeof values.scenarios === 'string' ? new Set(['mix', 'class-second-default', ...values.scenarios.split(',')]) : undefined;
  const selected = scenarios().filter((scenario) => wanted?.has(scenario.name) ?? true);
  const context = await openContext(selected, String(values['webhook-node-flags']).split(' ').filter(Boolean), quick, log);
  try {
    const measured = await runSections(context, plan);
    const scenarioTitles = Object.fromEntries(context.scenarios.map((scenario) => [scenario.name, scenario.title]));
    const notes = [`${measured.ab.preflightChecks} answers checked before the load.`, ...(h2load ? [] : [H2LOAD_MISSING])];
    const out = typeof values.out === 'string' ? values.out : join(REPO, quick ? '.tmp/bench' : 'docs');
    const written = await writeReport(out, { ...measured, header: header(context, h2load, before), scenarioTitles, notes });
    for (const [name, goal, measuredText, met] of targets(measured))
      log(`${met ? 'met    ' : 'MISSED '} ${name} (${goal}): ${measuredText}`);
    log(`report: ${written} (${Math.round((Date.now() - started) / 1000)} s)`);
  } finally {
    await context.close();
  }
}

if (values.help === true) process.stdout.write(HELP);
else
  await main().catch((error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  });
