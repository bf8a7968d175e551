import { defineConfig } from 'vitest/config';

/**
 * Two tiers. `fast`: pure code, the chart and the CLI, seconds in all: the edit loop runs it alone
 * (`npm run test:fast`). `slow`: real processes, servers, clocks and load, which `npm test` runs
 * after the fast tier, type-check and lint, so that they do not compete with those for the CPU.
 */
const FAST = [
  'test/rules/**/*.test.ts',
  'test/admission/**/*.test.ts',
  'test/chart/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/docs/**/*.test.ts',
  'test/harness/**/*.test.ts',
  'test/bench/**/*.test.ts',
  'test/tools/import-graph.test.ts',
  'test/tools/release-check.test.ts',
  'test/github/**/*.test.ts',
  'test/app.test.ts',
  'test/errors.test.ts',
  'test/examples.test.ts',
  'test/readme.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Test files share a worker's loaded modules: importing client-node and fastify once per worker,
    // not once per file, is most of the suite's start-up time. Every file builds its own servers.
    isolate: false,
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup-children.ts'],
    projects: [
      { extends: true, test: { name: 'fast', include: FAST } },
      { extends: true, test: { name: 'slow', include: ['test/**/*.test.ts'], exclude: FAST } },
    ],
  },
});
