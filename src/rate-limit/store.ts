/**
 * Where a rate limiter keeps its state. The limiter decides nothing about storage: it hands a
 * store the rule and the key, and the store answers with one atomic decision. In memory by
 * default; `bulwark/redis` implements the same interface so replicas share one limit, and
 * `bulwark/testing` has a fake.
 *
 * The rule is GCRA (the generic cell rate algorithm): one number per key, the theoretical
 * arrival time (TAT) of the next permit. A permit is granted when `now >= TAT - (burst - 1) *
 * intervalMs`; granting moves TAT one interval on. A request may reserve a permit that falls
 * due within `maxWaitMs` (the caller then waits `waitMs` before it runs).
 */

/** The rule a store applies, the same for every key of one limiter. */
export interface RateRule {
  /** Milliseconds between two permits at the sustained rate (`windowMs / limit`); > 0. */
  readonly intervalMs: number;
  /** How many permits may be taken at once from a full bucket; an integer >= 1. */
  readonly burst: number;
  /** How long a caller accepts to wait for a permit; 0 refuses at once when none is free. */
  readonly maxWaitMs: number;
}

/** A store's answer to one {@link RateLimitStore.take}. */
export interface RateDecision {
  /** True when a permit was taken (and must be used after `waitMs`). */
  readonly granted: boolean;
  /**
   * Granted: milliseconds to wait before the reserved permit is due (0: run now).
   * Refused: the exact milliseconds until a permit would be granted (never early).
   */
  readonly waitMs: number;
  /** Permits that could still be taken at once after this decision (>= 0). */
  readonly remaining: number;
}

/**
 * The state of every key of a rate limiter. `take` is atomic per key: two takes never both get
 * the last permit. A store may answer synchronously (in memory) or asynchronously (Redis).
 *
 * @example
 * ```ts
 * import type { RateLimitStore } from 'bulwark/rate-limit';
 *
 * const log: RateLimitStore = {
 *   take(key, rule, now) {
 *     console.log('take', key, rule.intervalMs, now);
 *     return { granted: true, waitMs: 0, remaining: rule.burst - 1 };
 *   },
 * };
 * ```
 */
export interface RateLimitStore {
  /**
   * Takes `cost` permits (default 1) for `key` under `rule`, at time `now` (epoch-like ms from the
   * limiter's clock; a store with its own clock, such as Redis `TIME`, may ignore it).
   */
  take(key: string, rule: RateRule, now: number, cost?: number): RateDecision | PromiseLike<RateDecision>;
}
