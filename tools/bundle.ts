/**
 * `npm run build`: the production build the image runs, dist/main.js and its chunks, bundled by
 * esbuild (docs/adr/0005-bundled-production-build.md says why). Each lazily imported part of the
 * program (the server, each CLI command, the self-managed and self-signed certificate code) is a
 * chunk of its own, loaded only when that mode runs.
 *
 *   node tools/bundle.ts [OUTDIR]    (default dist; the chunks find ../schemas and ../package.json)
 *   BUNDLE_METAFILE=FILE             also writes esbuild's metafile there: what each chunk holds, by input
 */
import { build, type Plugin } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { AJV_OPTIONS } from '../src/schema-validators.ts';

const REPO = new URL('../', import.meta.url).pathname;

/**
 * client-node's package declares no sideEffects, so its generated models (every Kubernetes kind,
 * half a megabyte, each a class with static fields) would all be kept although the webhook uses
 * KubeConfig and Watch only. Its modules do nothing at import but define: let esbuild drop what
 * is not referenced.
 */
const CLIENT_NODE = `${sep}@kubernetes${sep}client-node${sep}`;

const clientNodeWithoutSideEffects: Plugin = {
  name: 'client-node-side-effect-free',
  setup(builder) {
    // Its own imports are relative with their extension ('./config.js'): resolved here, not by a
    // second round trip to esbuild for each of its thousand files.
    builder.onResolve({ filter: /^\./ }, (args) => {
      if (!args.importer.includes(CLIENT_NODE)) return undefined;
      return { path: resolve(args.resolveDir, args.path), sideEffects: false };
    });
    builder.onResolve({ filter: /^@kubernetes\/client-node$/ }, async (args) => {
      if (args.pluginData === 'resolved') return undefined;
      const found = await builder.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolved',
      });
      return found.errors.length > 0 ? found : { ...found, sideEffects: false };
    });
  },
};

/** The schemas' validators as Ajv's standalone code: the module src/schema-validators.ts, compiled ahead. */
export function precompiledValidators(): string {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true } });
  const ids = readdirSync(resolve(REPO, 'schemas')).filter((name) => name.endsWith('.schema.json'));
  for (const id of ids) ajv.addSchema(JSON.parse(readFileSync(resolve(REPO, 'schemas', id), 'utf8')) as object, id);
  const exportName = (index: number) => `precompiledValidator${index}`;
  const code = standaloneCode.default(ajv, Object.fromEntries(ids.map((id, index) => [exportName(index), id])));
  const table = ids.map((id, index) => `${JSON.stringify(id)}: ${exportName(index)}`).join(', ');
  return `${code}\nconst validators = { ${table} };\nexport function schemaValidators() { return (id) => validators[id]; }\n`;
}

const validatorsCompiledAhead: Plugin = {
  name: 'validators-compiled-ahead',
  setup(builder) {
    builder.onLoad({ filter: /[/\\]src[/\\]schema-validators\.ts$/ }, () => ({
      contents: precompiledValidators(),
      loader: 'js',
      resolveDir: REPO,
    }));
  },
};

export async function bundle(outdir: string): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: REPO,
    entryPoints: ['src/main.ts'],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    minify: true,
    // Readable stack traces in logs: function and class names stay.
    keepNames: true,
    legalComments: 'none',
    sourcemap: true,
    // Bundled CommonJS packages call require() for Node's built-in modules; an ES module has none.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [clientNodeWithoutSideEffects, validatorsCompiledAhead],
    logLevel: 'warning',
    metafile: process.env.BUNDLE_METAFILE !== undefined,
  }).then(async (result) => {
    if (process.env.BUNDLE_METAFILE !== undefined) await writeFile(process.env.BUNDLE_METAFILE, JSON.stringify(result.metafile));
  });
}

if (import.meta.main) await bundle(resolve(REPO, process.argv[2] ?? 'dist'));
