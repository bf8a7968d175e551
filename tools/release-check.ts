/**
 * What must hold before a release, checked by CI on every change and by the release workflow on a
 * tag (.github/workflows/): package.json's version, the chart's `version` and `appVersion`, and
 * the image tag the chart pulls by default are one version; a tag names that version; CHANGELOG.md
 * has a section for it.
 *
 *   node tools/release-check.ts                 versions agree; prints version=X.Y.Z
 *   node tools/release-check.ts --tag vX.Y.Z    also the tag and the CHANGELOG section
 *   node tools/release-check.ts --tag vX.Y.Z --notes   prints that section (the release notes)
 *
 * Exits 1 with one line per problem, each naming the file and the value.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { describeError } from '../src/errors.ts';

export interface ReleaseFiles {
  readonly packageJson: string;
  readonly chartYaml: string;
  readonly valuesYaml: string;
  readonly changelog: string;
}

export interface ReleaseCheck {
  readonly version: string;
  readonly problems: string[];
}

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

function field(document: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined),
    document,
  );
}

/** The lines of CHANGELOG.md under `## X.Y.Z` (or `## [X.Y.Z]`, with anything after it), up to the next `## `. */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.split('\n');
  const heading = new RegExp(`^## \\[?v?${version.replaceAll('.', '\\.')}\\]?(\\s|$)`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start === -1) return undefined;
  const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  return lines
    .slice(start + 1, end === -1 ? undefined : end)
    .join('\n')
    .trim();
}

export function checkRelease(files: ReleaseFiles, tag?: string): ReleaseCheck {
  const version = String(field(JSON.parse(files.packageJson), ['version']));
  const chart: unknown = parse(files.chartYaml);
  const values: unknown = parse(files.valuesYaml);
  const problems: string[] = [];
  if (!SEMVER.test(version)) problems.push(`package.json version "${version}" is not a semantic version X.Y.Z`);
  for (const key of ['version', 'appVersion']) {
    const value = String(field(chart, [key]));
    if (value !== version) problems.push(`charts/snapshot-webhook/Chart.yaml ${key} "${value}" is not package.json's version "${version}"`);
  }
  const imageTag = field(values, ['image', 'tag']);
  if (imageTag !== '' && imageTag !== version) {
    problems.push(`charts/snapshot-webhook/values.yaml image.tag "${String(imageTag)}" must be "" (the appVersion) or "${version}"`);
  }
  if (tag !== undefined) {
    if (tag !== `v${version}`) problems.push(`tag "${tag}" is not v${version}, the version in package.json and Chart.yaml`);
    if (!changelogSection(files.changelog, version))
      problems.push(`CHANGELOG.md has no section "## ${version}" with the release's changes`);
  }
  return { version, problems };
}

function readReleaseFiles(root: URL): ReleaseFiles {
  const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
  return {
    packageJson: read('package.json'),
    chartYaml: read('charts/snapshot-webhook/Chart.yaml'),
    valuesYaml: read('charts/snapshot-webhook/values.yaml'),
    changelog: read('CHANGELOG.md'),
  };
}

function main(): number {
  const { values: flags } = parseArgs({ options: { tag: { type: 'string' }, notes: { type: 'boolean', default: false } } });
  const files = readReleaseFiles(new URL('../', import.meta.url));
  const { version, problems } = checkRelease(files, flags.tag);
  if (problems.length > 0) {
    for (const problem of problems) process.stderr.write(`release-check: ${problem}\n`);
    return 1;
  }
  process.stdout.write(flags.notes ? `${changelogSection(files.changelog, version) ?? ''}\n` : `version=${version}\n`);
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = main();
  } catch (error) {
    process.stderr.write(`release-check: ${describeError(error)}\n`);
    process.exitCode = 2;
  }
}
