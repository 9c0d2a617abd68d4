/**
 * The GCRA decision, as a pure function of one key's theoretical arrival time (TAT). Every store
 * that keeps TATs itself (memory, the testing fake) calls it, so they cannot disagree; a store
 * that decides elsewhere (a Redis script) must follow the same arithmetic.
 */
import type { RateDecision, RateRule } from './store.js';

/**
 * How early a permit may be granted, in ms. Clock readings and `windowMs / limit` are floats:
 * without it, a caller who waits exactly `retryAfterMs` could find the permit 1e-13 ms away and be
 * refused again. One microsecond is far below any timer's resolution, and above the rounding of
 * epoch-millisecond floats (2^-12 ms near 1.7e12).
 *
 * @internal
 */
export const EARLY_MS = 1e-3;

/** A decision and the TAT to keep for the key afterwards. @internal */
export interface GcraOutcome {
  readonly tat: number;
  readonly decision: RateDecision;
}

/**
 * Decides one take. `tat` is undefined for a key never seen (or forgotten, which is the same:
 * a TAT in the past means a full bucket). The permit(s) fall due at `allowAt = next - burst *
 * intervalMs`; it is granted when that is within `maxWaitMs` from now, and the key's TAT moves on
 * by `cost` intervals. A refusal changes nothing and says exactly when the permit falls due.
 *
 * @internal
 */
export function gcra(tat: number | undefined, rule: RateRule, now: number, cost = 1): GcraOutcome {
  const interval = rule.intervalMs;
  // Never early by half an interval or more: over a million permits a second, the microsecond
  // would be whole permits.
  const early = interval > 2 * EARLY_MS ? EARLY_MS : interval / 2;
  const base = tat === undefined || tat < now ? now : tat;
  const next = base + cost * interval;
  const wait = next - rule.burst * interval - now;
  if (wait > rule.maxWaitMs + early) {
    const free = Math.floor((now - (base - rule.burst * interval) + early) / interval);
    return { tat: base, decision: { granted: false, waitMs: wait, remaining: Math.max(free, 0) } };
  }
  const left = Math.floor((early - wait) / interval);
  return {
    tat: next,
    decision: {
      granted: true,
      waitMs: wait > early ? Math.min(wait, rule.maxWaitMs) : 0,
      remaining: Math.max(left, 0),
    },
  };
}

/** Throws unless `cost` is a whole number from 1 to `rule.burst` (more could never be granted). @internal */
export function checkCost(where: string, rule: RateRule, cost: number): void {
  if (!Number.isInteger(cost) || cost < 1 || cost > rule.burst) {
    throw new RangeError(`${where}: cost must be a whole number from 1 to the burst (${rule.burst}); got ${cost}`);
  }
}
