import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { changelogSection, checkRelease, type ReleaseFiles } from '../../tools/release-check.ts';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, ROOT), 'utf8');
const REPOSITORY: ReleaseFiles = {
  packageJson: read('package.json'),
  chartYaml: read('charts/snapshot-webhook/Chart.yaml'),
  valuesYaml: read('charts/snapshot-webhook/values.yaml'),
  changelog: read('CHANGELOG.md'),
};
const VERSION = (JSON.parse(REPOSITORY.packageJson) as { version: string }).version;
const RELEASED = `# Changelog\n\n## ${VERSION} (2026-12-04)\n\n### Added\n\n- Everything.\n\n## 0.0.1\n\n- Before.\n`;

function run(args: readonly string[]) {
  return spawnSync(process.execPath, [fileURLToPath(new URL('tools/release-check.ts', ROOT)), ...args], { encoding: 'utf8' });
}

describe('release check', () => {
  it("finds the repository's versions in agreement", () => {
    expect(checkRelease(REPOSITORY)).toEqual({ version: VERSION, problems: [] });
  });

  it('names the file and the value that disagree', () => {
    const chartYaml = REPOSITORY.chartYaml.replace(/^appVersion: .*$/m, 'appVersion: "9.9.9"');
    const valuesYaml = REPOSITORY.valuesYaml.replace(/^ {2}tag: ""/m, '  tag: "latest"');
    expect(checkRelease({ ...REPOSITORY, chartYaml, valuesYaml }).problems).toEqual([
      `charts/snapshot-webhook/Chart.yaml appVersion "9.9.9" is not package.json's version "${VERSION}"`,
      `charts/snapshot-webhook/values.yaml image.tag "latest" must be "" (the appVersion) or "${VERSION}"`,
    ]);
  });

  it('wants a tag of the version and a CHANGELOG section for it', () => {
    const released = { ...REPOSITORY, changelog: RELEASED };
    expect(checkRelease(released, `v${VERSION}`).problems).toEqual([]);
    expect(checkRelease(released, 'v9.9.9').problems).toEqual([
      `tag "v9.9.9" is not v${VERSION}, the version in package.json and Chart.yaml`,
    ]);
    expect(checkRelease({ ...REPOSITORY, changelog: '# Changelog\n\n## Unreleased\n' }, `v${VERSION}`).problems).toEqual([
      `CHANGELOG.md has no section "## ${VERSION}" with the release's changes`,
    ]);
  });

  it("gives a version's CHANGELOG section as release notes, and only that one", () => {
    expect(changelogSection(RELEASED, VERSION)).toBe('### Added\n\n- Everything.');
    expect(changelogSection(RELEASED, '0.0.1')).toBe('- Before.');
    expect(changelogSection(RELEASED, '0.0')).toBeUndefined();
  });

  it('runs as the workflows run it: version=X.Y.Z for $GITHUB_OUTPUT, or exit 1 naming the tag', () => {
    expect(run([])).toMatchObject({ status: 0, stdout: `version=${VERSION}\n` });
    const wrongTag = run(['--tag', 'v9.9.9']);
    expect(wrongTag.status).toBe(1);
    expect(wrongTag.stderr).toContain('release-check: tag "v9.9.9" is not');
  });
});
