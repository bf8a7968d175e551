/**
 * The code's "rule N" comments point into docs/rules.md: every number they cite must be a rule there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(directory: string): string[] {
  return readdirSync(join(ROOT, directory), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(ROOT, directory, file));
}

/** "Rule 4", "Rules 9–10 and 18", "rules 5 and 15": every number, ranges expanded. */
function citedRules(text: string): Set<number> {
  const cited = new Set<number>();
  for (const match of text.matchAll(/\brules? (\d+(?:\s*(?:–|-|and|,)\s*\d+)*)/giu)) {
    for (const part of (match[1] ?? '').matchAll(/(\d+)(?:\s*[–-]\s*(\d+))?/gu)) {
      const first = Number(part[1]);
      const last = Number(part[2] ?? part[1]);
      for (let rule = first; rule <= last; rule += 1) cited.add(rule);
    }
  }
  return cited;
}

function documentedRules(): Set<number> {
  const text = readFileSync(join(ROOT, 'docs/rules.md'), 'utf8');
  return new Set([...text.matchAll(/^(\d+)\. /gmu)].map((match) => Number(match[1])));
}

describe('docs/rules.md', () => {
  const documented = documentedRules();
  const cited = new Set(sourceFiles('src').flatMap((file) => [...citedRules(readFileSync(file, 'utf8'))]));

  it('numbers its rules 1 to N without gaps', () => {
    const numbers = [...documented].sort((a, b) => a - b);
    expect(numbers[0]).toBe(1);
    expect(numbers).toEqual(numbers.map((_, index) => index + 1));
  });

  it('holds every rule the code cites', () => {
    expect([...cited].filter((rule) => !documented.has(rule))).toEqual([]);
  });

  it('expands cited ranges and lists', () => {
    expect([...citedRules('Rules 9–10 and 18; rule 4; rules 5 and 15')].sort((a, b) => a - b)).toEqual([4, 5, 9, 10, 15, 18]);
  });
});
