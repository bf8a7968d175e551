import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffOptions {
  /** The first delay: small, so that a dropped watch is back before anyone notices. */
  readonly initialMs: number;
  /** The longest delay, so that a cluster that comes back is seen soon enough. */
  readonly maxMs: number;
  /** Each delay is moved by up to this fraction either way, so that replicas do not retry in step. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 15_000, jitter: 0.2 };

/** Exponential backoff with jitter: initialMs, twice that, … up to maxMs, until reset. */
export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** The delay before the next attempt; each call doubles the one after. */
  next(): number {
    const { initialMs, maxMs, jitter } = this.#options;
    // Capping the exponent keeps 2 ** attempt finite however long the outage lasts.
    const base = Math.min(initialMs * 2 ** Math.min(this.#attempt, 30), maxMs);
    this.#attempt += 1;
    const spread = 1 + jitter * (2 * this.#random() - 1);
    return Math.round(Math.min(base * spread, maxMs));
  }

  /** Back to the first delay: the last attempt worked. */
  reset(): void {
    this.#attempt = 0;
  }
}

/** Waits ms milliseconds; resolves false at once if the signal aborts first. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
