#!/usr/bin/env node
/**
 * The entry point. It checks the Node version before loading the program, whose dependencies
 * would fail on an old Node with a stack trace instead of a reason.
 */
import { nodeVersionProblem } from './node-version.ts';

const problem = nodeVersionProblem(process.versions.node, process.execPath);
if (problem === undefined) {
  await import('./command.ts');
} else {
  process.stderr.write(`snapshot-webhook: ${problem}\n`);
  process.exitCode = 2;
}
