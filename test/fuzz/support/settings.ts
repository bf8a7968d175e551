/**
 * How much the fuzzers run. The suite runs a small, fixed amount (the same cases every time:
 * a fixed seed); `npm run fuzz` sets FUZZ_RUNS=50000 for the long run. FUZZ_SEED replays
 * another sequence, e.g. the one a failure report names.
 */
import type { Parameters } from 'fast-check';

const DEFAULT_RUNS = 150;
const DEFAULT_SEED = 20_260_601;

function positiveInteger(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export const FUZZ_RUNS = positiveInteger(process.env.FUZZ_RUNS, DEFAULT_RUNS);
export const FUZZ_SEED = positiveInteger(process.env.FUZZ_SEED, DEFAULT_SEED);

/** Runs for a property that costs `weight` times an ordinary one (a TLS connection vs an inject). */
export function runsFor(weight = 1): number {
  return Math.max(1, Math.ceil(FUZZ_RUNS / weight));
}

export function fuzzParameters<T>(weight = 1): Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: runsFor(weight), endOnFailure: true };
}

/** A test timeout that grows with the run count: 20 s for the suite, more for `npm run fuzz`. */
export function fuzzTimeoutMs(msPerRun: number, weight = 1): number {
  return Math.max(20_000, runsFor(weight) * msPerRun * 3);
}
