/**
 * The rate limit a replica keeps alone while Redis cannot answer: the same GCRA as the in-memory
 * store, on the limiter's own clock, with the replica's share of the rule (`limit / replicas`).
 */
import { gcra } from '../rate-limit/gcra.js';
import type { RateDecision, RateRule } from '../rate-limit/store.js';

const PRUNE_AT = 10_000;

/** @internal One TAT per key in a Map; keys whose TAT has passed are dropped once the map grows. */
export class LocalRate {
  readonly #replicas: number;
  readonly #tats = new Map<string, number>();
  readonly #rules = new WeakMap<RateRule, RateRule>();

  constructor(replicas: number) {
    this.#replicas = replicas;
  }

  take(key: string, rule: RateRule, now: number, cost: number): RateDecision {
    const share = this.#share(rule);
    const outcome = gcra(this.#tats.get(key), share, now, Math.min(cost, share.burst));
    if (outcome.decision.granted) {
      if (this.#tats.size >= PRUNE_AT) this.#prune(now);
      this.#tats.set(key, outcome.tat);
    }
    return outcome.decision;
  }

  /** This replica's share: `replicas` times the interval, the burst divided (at least 1). */
  #share(rule: RateRule): RateRule {
    if (this.#replicas === 1) return rule;
    let share = this.#rules.get(rule);
    if (share === undefined) {
      share = {
        intervalMs: rule.intervalMs * this.#replicas,
        burst: Math.max(1, Math.floor(rule.burst / this.#replicas)),
        maxWaitMs: rule.maxWaitMs,
      };
      this.#rules.set(rule, share);
    }
    return share;
  }

  #prune(now: number): void {
    for (const [key, tat] of this.#tats) if (tat <= now) this.#tats.delete(key);
  }
}
