import { describe } from '../core/errors.js';
import { checkCost, gcra } from './gcra.js';
import type { RateDecision, RateLimitStore, RateRule } from './store.js';

/** Options of {@link memoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /**
   * Most keys kept at once (default 100,000). A key whose bucket is full again costs nothing to
   * forget, so these go first; when every kept key is still draining, the one due soonest goes.
   */
  readonly maxKeys?: number | undefined;
}

/** A {@link RateLimitStore} that keeps its keys in this process. Made by {@link memoryRateLimitStore}. */
export interface MemoryRateLimitStore extends RateLimitStore {
  /** Always answers synchronously. */
  take(key: string, rule: RateRule, now: number, cost?: number): RateDecision;
  /** How many keys are kept now. */
  readonly size: number;
  /** Forgets every key (every bucket is full again). */
  clear(): void;
}

const KNOWN_OPTIONS = ['maxKeys'];

/**
 * One number per key (its TAT) in a Map; a key whose TAT has passed means exactly what a missing
 * key means, so sweeping those changes no decision. The sweep runs when the map has doubled since
 * the last one: amortised O(1) per take, no timer. The first key lives in two fields, so a limiter
 * with one key (the default) allocates no Map at all.
 */
class Memory implements MemoryRateLimitStore {
  readonly #maxKeys: number;
  #firstKey: string | undefined;
  #firstTat = 0;
  #others: Map<string, number> | undefined;
  #sweepAt: number;

  constructor(maxKeys: number) {
    this.#maxKeys = maxKeys;
    this.#sweepAt = Math.min(1024, maxKeys);
  }

  get size(): number {
    return (this.#firstKey === undefined ? 0 : 1) + (this.#others?.size ?? 0);
  }

  take(key: string, rule: RateRule, now: number, cost = 1): RateDecision {
    if (cost !== 1) checkCost('memoryRateLimitStore.take', rule, cost);
    if (key === this.#firstKey || this.#firstKey === undefined) {
      const outcome = gcra(this.#firstKey === undefined ? undefined : this.#firstTat, rule, now, cost);
      this.#firstKey = key;
      this.#firstTat = outcome.tat;
      return outcome.decision;
    }
    this.#others ??= new Map();
    const outcome = gcra(this.#others.get(key), rule, now, cost);
    if (outcome.decision.granted) {
      this.#others.set(key, outcome.tat);
      if (this.#others.size >= this.#sweepAt) this.#sweep(now);
    }
    return outcome.decision;
  }

  clear(): void {
    this.#firstKey = undefined;
    this.#others = undefined;
    this.#sweepAt = Math.min(1024, this.#maxKeys);
  }

  #sweep(now: number): void {
    const others = this.#others as Map<string, number>;
    for (const [key, tat] of others) if (tat <= now) others.delete(key);
    // Still too many keys, all of them draining: forget those due soonest (they are nearly full).
    // Down to 90% of the cap, so the sort is paid once per tenth of the cap, not on every take.
    if (others.size + 1 > this.#maxKeys) {
      const keep = Math.floor(this.#maxKeys * 0.9) - 1;
      const byDue = [...others].sort((a, b) => a[1] - b[1]);
      for (const [key] of byDue.slice(0, Math.max(0, others.size - keep))) others.delete(key);
    }
    this.#sweepAt = Math.min(Math.max(1024, others.size * 2), this.#maxKeys);
  }
}

/**
 * The default {@link RateLimitStore}: GCRA state for each key in this process, one number per
 * key, no timer. A key whose bucket is full again is forgotten (that changes no decision), and
 * `maxKeys` bounds memory when keys come from outside (one per tenant, per client IP). Use
 * `bulwark/redis` instead when replicas must share one limit.
 *
 * @example
 * ```ts
 * import { memoryRateLimitStore, rateLimit } from 'bulwark/rate-limit';
 *
 * // One store shared by two limiters: each keeps its own keys under its own name.
 * const store = memoryRateLimitStore({ maxKeys: 50_000 });
 * const search = rateLimit({ name: 'search', limit: 10, windowMs: 1000, store });
 * const upload = rateLimit({ name: 'upload', limit: 2, windowMs: 1000, store });
 * ```
 */
export function memoryRateLimitStore(options?: MemoryRateLimitStoreOptions): MemoryRateLimitStore {
  const where = 'memoryRateLimitStore';
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new TypeError(`${where}: options must be an object; got ${describe(options)}`);
  }
  for (const key of Object.keys(options ?? {})) {
    if (!KNOWN_OPTIONS.includes(key))
      throw new TypeError(`${where}: unknown option "${key}"; valid options are "maxKeys"`);
  }
  const maxKeys = options?.maxKeys ?? 100_000;
  if (typeof maxKeys !== 'number' || !Number.isInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError(`${where}: option "maxKeys" must be a whole number >= 1; got ${describe(maxKeys)}`);
  }
  return new Memory(maxKeys);
}
