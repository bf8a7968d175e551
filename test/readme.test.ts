import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { settings } from '../src/config/config.ts';

/** The README says what works today: every flag is in its table, every example it names exists. */
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it.each(settings().map((setting) => [setting.flag, setting] as const))('documents %s and its variable', (_flag, setting) => {
    const row = README.split('\n').find((line) => line.startsWith(`| \`${setting.flag}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(`\`${setting.env}\``);
  });

  it('names exactly the examples in docs/examples', () => {
    const files = readdirSync(new URL('../docs/examples/', import.meta.url)).filter((file) => file.endsWith('.json'));
    const named = [...README.matchAll(/`([a-z-]+\.json)`/g)].map((match) => match[1]);
    expect(new Set(named)).toEqual(new Set(files));
  });

  it('gives the two commands CI and a fresh machine run', () => {
    expect(README).toContain('npm ci && npm start');
    expect(README).toContain('npm ci && npm test');
    expect(readFileSync(new URL('../.ci/run', import.meta.url), 'utf8')).toMatch(/npm ci\nnpm test\n/);
  });
});
