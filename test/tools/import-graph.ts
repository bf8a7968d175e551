/**
 * The lint step's import check: no cycle among the project's modules (type-only imports count:
 * they tie the files' meanings together all the same), and no arrow from a lower layer of `src/`
 * up to a higher one. Prints each offence and exits 1.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIRECTORIES = ['src', 'test', 'testkit', 'bench', 'reliability', 'tools'];

/** Modules at the bottom, which every folder may import: the error catalogue, the schemas, the logger type. */
const BASE = ['src/errors.ts', 'src/schemas.ts', 'src/schema-validators.ts', 'src/observability/logger.ts'];

/** What each folder of src/ may import besides itself and BASE; a folder not named here may import anything. */
const ALLOWED_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  'src/rules': [],
  'src/config': [],
  'src/observability': [],
  'src/lifecycle': [],
  'src/cluster': ['src/rules', 'src/config'],
  'src/tls': ['src/cluster', 'src/config'],
  'src/admission': ['src/rules', 'src/cluster', 'src/observability', 'src/lifecycle'],
};

const IMPORT =
  /^\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gmu;

export function sourceFiles(root: string, directories: readonly string[]): string[] {
  return directories.flatMap((directory) =>
    readdirSync(join(root, directory), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.includes('node_modules'))
      .map((file) => join(directory, file)),
  );
}

/** Relative imports of each file, as paths from the root. */
export function importGraph(root: string, files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((match) => match[1] ?? match[2] ?? match[3] ?? '');
    graph.set(file, [...new Set(targets.map((target) => relative(root, resolve(root, dirname(file), target))))]);
  }
  return graph;
}

/** Every cycle, each as the path of files that closes it (found by depth-first search). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (state.get(file) === undefined) visit(file);
  return cycles;
}

function layerOf(file: string): string | undefined {
  return Object.keys(ALLOWED_IMPORTS).find((layer) => file.startsWith(`${layer}/`));
}

/** Imports from a folder of src/ into one it may not import. */
export function upwardImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const offences: string[] = [];
  for (const [file, targets] of graph) {
    const layer = layerOf(file);
    if (layer === undefined) continue;
    const allowed = [layer, ...BASE, ...(ALLOWED_IMPORTS[layer] ?? [])];
    for (const target of targets.filter((candidate) => candidate.startsWith('src/'))) {
      if (!allowed.some((prefix) => target === prefix || target.startsWith(`${prefix}/`))) offences.push(`${file} imports ${target}`);
    }
  }
  return offences;
}

if (import.meta.main) {
  const graph = importGraph(ROOT, sourceFiles(ROOT, DIRECTORIES));
  const offences = [
    ...findCycles(graph).map((cycle) => `import cycle: ${cycle.join(' → ')}`),
    ...upwardImports(graph).map((offence) => `upward import: ${offence}`),
  ];
  for (const offence of offences) process.stderr.write(`${offence}\n`);
  process.exitCode = offences.length === 0 ? 0 : 1;
}
