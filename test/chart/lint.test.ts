import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CERT_MANAGER_VALUES, CHART_DIR, EXISTING_SECRET_VALUES, type Values } from './chart.ts';
import { runHelm } from '../support/helm.ts';

/** What CI lints and renders with every optional value on (.github/workflows/ci.yml). */
const EVERY_OPTION_VALUES = parse(readFileSync(join(CHART_DIR, 'ci', 'every-option-values.yaml'), 'utf8')) as Values;

const CASES: [string, Values][] = [
  ['defaults', {}],
  ['certManager', CERT_MANAGER_VALUES],
  [
    'certManager with an issuer',
    { certificates: { mode: 'certManager', certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' } } } },
  ],
  ['existingSecret', EXISTING_SECRET_VALUES],
  ['every option on (ci/every-option-values.yaml)', EVERY_OPTION_VALUES],
];

describe('helm lint --strict', () => {
  it.concurrent.each(CASES)('passes with %s', async (_name, values) => {
    const result = await runHelm(['lint', '--strict', CHART_DIR, '-f', '-'], { input: JSON.stringify(values) });
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(result.code).toBe(0);
  });

  it('fails on bad values (so the cases above could fail)', async () => {
    const result = await runHelm(['lint', '--strict', CHART_DIR, '-f', '-'], { input: JSON.stringify({ replicaCount: 'two' }) });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('/replicaCount');
  });
});
