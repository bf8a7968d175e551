/**
 * The workflows in .github/workflows cannot run here: they are checked against GitHub's workflow
 * schema (SchemaStore's, from the `schemastore` package) and for what the release must do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helmBinary } from '../support/helm.ts';

const WORKFLOWS = new URL('../../.github/workflows/', import.meta.url);
const require = createRequire(import.meta.url);

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string>;
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

function workflowSchemaValidator() {
  const schema = JSON.parse(readFileSync(require.resolve('schemastore/schemas/json/github-workflow.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  // The draft-07 meta-schema is Ajv's default; the schema names it without the trailing '#'.
  delete schema.$schema;
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

const validate = workflowSchemaValidator();
const files = readdirSync(WORKFLOWS).filter((file) => file.endsWith('.yml'));
const workflow = (file: string): Workflow => parse(readFileSync(new URL(file, WORKFLOWS), 'utf8')) as Workflow;
const steps = (job: Job | undefined): Step[] => job?.steps ?? [];
const runs = (job: Job | undefined): string =>
  steps(job)
    .map((step) => step.run ?? '')
    .join('\n');
const stepUsing = (job: Job | undefined, action: string): Step | undefined =>
  steps(job).find((step) => step.uses?.startsWith(`${action}@`));
const values = parse(readFileSync(new URL('../../charts/snapshot-webhook/values.yaml', import.meta.url), 'utf8')) as {
  image: { repository: string };
};

describe('GitHub workflows', () => {
  it.each(files)('%s matches GitHub’s workflow schema', (file) => {
    expect(validate(workflow(file)), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });

  it('the schema check can fail: a misspelt key is refused', () => {
    const broken = structuredClone(workflow('ci.yml')) as unknown as { jobs: { test: Record<string, unknown> } };
    broken.jobs.test['run-on'] = broken.jobs.test['runs-on'];
    delete broken.jobs.test['runs-on'];
    expect(validate(broken)).toBe(false);
  });

  it('pins every action to a released major version, never a branch', () => {
    for (const file of files) {
      for (const job of Object.values(workflow(file).jobs)) {
        for (const { uses } of steps(job).filter((step) => step.uses !== undefined))
          expect(uses).toMatch(/^[\w.-]+\/[\w./-]+@v\d+(\.\d+)*$/);
      }
    }
  });

  it('runs the tests, the strict lint and the render with every optional value on, for pull requests', () => {
    const ci = workflow('ci.yml');
    expect(Object.keys(ci.on)).toContain('pull_request');
    expect(runs(ci.jobs.test)).toContain('npm test');
    const chart = runs(ci.jobs.chart);
    expect(chart).toContain('node tools/release-check.ts');
    expect(chart).toMatch(/helm lint --strict "\$CHART" -f "\$CHART\/ci\/every-option-values.yaml"/);
    expect(chart).toMatch(/helm template .* -f "\$CHART\/ci\/every-option-values.yaml"/);
  });

  it('uses the helm the tests use', async () => {
    const { stdout } = await promisify(execFile)(await helmBinary(), ['version', '--template', '{{.Version}}']);
    for (const file of files) expect(workflow(file).env?.HELM_VERSION).toBe(stdout.trim());
  });

  describe('release.yml', () => {
    const release = workflow('release.yml');
    const { verify, image, chart } = release.jobs;

    it('runs on a version tag, and nothing is published before the versions, CHANGELOG and tests pass', () => {
      expect(release.on).toEqual({ push: { tags: ['v*.*.*'] } });
      expect(runs(verify)).toMatch(/node tools\/release-check.ts --tag "\$GITHUB_REF_NAME"[^\n]*\n[\s\S]*npm test/);
      for (const [name, job] of Object.entries(release.jobs)) if (name !== 'verify') expect([job.needs].flat()).toContain('verify');
    });

    it('builds the image for amd64 and arm64 with an SBOM and provenance, and signs it keyless', () => {
      const build = stepUsing(image, 'docker/build-push-action');
      expect(String(build?.with?.platforms).split(',')).toEqual(['linux/amd64', 'linux/arm64']);
      expect(build?.with).toMatchObject({ push: true, sbom: true, provenance: 'mode=max' });
      expect(build?.with?.tags).toBe('${{ env.IMAGE }}:${{ needs.verify.outputs.version }}');
      expect(runs(image)).toContain('cosign sign --yes "$IMAGE@$DIGEST"');
      expect(image?.permissions?.['id-token']).toBe('write');
    });

    it('publishes the image the chart pulls with no values', () => {
      expect(release.env?.IMAGE).toBe(values.image.repository);
    });

    it('packages the chart at the same version, pushes it as an OCI artifact and signs it', () => {
      const script = runs(chart);
      expect(script).toContain('helm package charts/snapshot-webhook --version "$VERSION" --app-version "$VERSION"');
      expect(script).toContain('helm push "chart-package/snapshot-webhook-$VERSION.tgz" "$CHART_REPOSITORY"');
      expect(script).toMatch(/cosign sign --yes /);
      expect(release.env?.CHART_REPOSITORY).toMatch(/^oci:\/\//);
      expect(chart?.permissions?.['id-token']).toBe('write');
    });
  });
});
