import { describe, expect, it } from 'vitest';
import { findCycles, upwardImports } from './import-graph.ts';

describe('the import check', () => {
  it('finds a cycle through type-only edges as well as a direct one', () => {
    const graph = new Map([
      ['src/a.ts', ['src/b.ts']],
      ['src/b.ts', ['src/c.ts']],
      ['src/c.ts', ['src/a.ts']],
      ['src/d.ts', ['src/a.ts', 'node_modules/x.ts']],
    ]);
    expect(findCycles(graph)).toEqual([['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/a.ts']]);
    expect(
      findCycles(
        new Map([
          ['src/a.ts', ['src/b.ts']],
          ['src/b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('names an import from a lower folder of src/ into a higher one', () => {
    const graph = new Map([
      ['src/rules/table.ts', ['src/rules/types.ts', 'src/errors.ts', 'src/admission/decide.ts']],
      ['src/admission/decide.ts', ['src/rules/table.ts']],
    ]);
    expect(upwardImports(graph)).toEqual(['src/rules/table.ts imports src/admission/decide.ts']);
  });
});
