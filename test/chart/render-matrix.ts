/**
 * The chart suites each render a matrix of named values once, in parallel, before their tests,
 * and then look one render up by name in each test.
 */
import { beforeAll } from 'vitest';
import { render, type Rendered, type Values } from './chart.ts';

/**
 * Registers a beforeAll (call it inside the describe) that renders every entry of `matrix`;
 * returns the lookup by name, which fails the test on a name that was never rendered.
 */
export function renderMatrix(matrix: Readonly<Record<string, Values>>): (name: string) => Rendered {
  const renders = new Map<string, Rendered>();

  beforeAll(async () => {
    const entries = Object.entries(matrix);
    const results = await Promise.all(entries.map(([, values]) => render(values)));
    entries.forEach(([name], index) => renders.set(name, results[index] as Rendered));
  });

  return (name) => {
    const rendered = renders.get(name);
    if (!rendered) throw new Error(`no render ${name}`);
    return rendered;
  };
}
