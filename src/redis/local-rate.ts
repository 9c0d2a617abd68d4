/**
 * The rate limit a replica keeps alone while Redis cannot answer: the same GCRA, in memory, on
 * the limiter's own clock, with the replica's share of the rule (`limit / replicas`).
 */
import type { RateDecision, RateRule } from '../rate-limit/store.js';

const PRUNE_AT = 10_000;

/** @internal GCRA per key in a Map; keys whose TAT has passed are dropped once the map grows. */
export class LocalRate {
  readonly #replicas: number;
  readonly #tats = new Map<string, number>();

  constructor(replicas: number) {
    this.#replicas = replicas;
  }

  take(key: string, rule: RateRule, now: number, cost: number): RateDecision {
    const interval = rule.intervalMs * this.#replicas;
    const burst = Math.max(1, Math.floor(rule.burst / this.#replicas));
    const tat = Math.max(this.#tats.get(key) ?? now, now);
    const wait = tat + (cost - burst) * interval - now;
    if (wait > rule.maxWaitMs) {
      return {
        granted: false,
        waitMs: Math.ceil(wait),
        remaining: Math.max(0, Math.floor((now - tat) / interval + burst)),
      };
    }
    const next = tat + cost * interval;
    if (this.#tats.size >= PRUNE_AT) this.#prune(now);
    this.#tats.set(key, next);
    return {
      granted: true,
      waitMs: Math.max(0, Math.ceil(wait)),
      remaining: Math.max(0, Math.floor((now - next) / interval + burst)),
    };
  }

  #prune(now: number): void {
    for (const [key, tat] of this.#tats) if (tat <= now) this.#tats.delete(key);
  }
}
