import { describe } from '../core/errors.js';
import { checkCost, gcra } from '../rate-limit/gcra.js';
import type { RateDecision, RateLimitStore, RateRule } from '../rate-limit/store.js';

/** One call of {@link FakeRateLimitStore.take}, as recorded. */
export interface RecordedTake {
  /** The key the limiter asked for. */
  readonly key: string;
  /** The rule it applies. */
  readonly rule: RateRule;
  /** The limiter's clock reading. */
  readonly now: number;
  /** Permits asked for. */
  readonly cost: number;
}

/** Options of {@link FakeRateLimitStore}. */
export interface FakeRateLimitStoreOptions {
  /** Answer with a promise, as a remote store (Redis) does (default false: answer synchronously). */
  readonly async?: boolean | undefined;
}

/**
 * A {@link RateLimitStore} for tests of code that uses a rate limiter: it decides with the same
 * GCRA as the real stores, records every take, and can be told to fail (as a store that is down)
 * or to hold its answers until released (as a slow one). Decisions can also be scripted.
 *
 * @example
 * ```ts
 * import { rateLimit } from 'bulwark/rate-limit';
 * import { FakeClock, FakeRateLimitStore } from 'bulwark/testing';
 * import { expect } from 'vitest';
 *
 * const clock = new FakeClock();
 * const store = new FakeRateLimitStore({ async: true });
 * const limiter = rateLimit({ name: 'api', limit: 2, windowMs: 1000, clock, store });
 *
 * await limiter.forKey('acme').execute(() => 'ok');
 * expect(store.takes.map((t) => t.key)).toEqual(['api:acme']);
 *
 * store.failWith(new Error('redis down'));
 * await expect(limiter.execute(() => 'ok')).rejects.toThrow('redis down');
 * ```
 */
export class FakeRateLimitStore implements RateLimitStore {
  /** Every take, in order, whatever its outcome. */
  readonly takes: RecordedTake[] = [];
  readonly #async: boolean;
  readonly #tats = new Map<string, number>();
  #failure: { error: unknown } | undefined;
  #held: Array<() => void> | undefined;
  #script: Array<RateDecision> = [];

  constructor(options?: FakeRateLimitStoreOptions) {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`FakeRateLimitStore: options must be an object; got ${describe(options)}`);
    }
    this.#async = options?.async === true;
  }

  /** Decides like the real stores (unless told otherwise), after recording the take. */
  take(key: string, rule: RateRule, now: number, cost = 1): RateDecision | Promise<RateDecision> {
    this.takes.push(Object.freeze({ key, rule, now, cost }));
    const answer = (): RateDecision => {
      if (this.#failure !== undefined) throw this.#failure.error;
      const scripted = this.#script.shift();
      if (scripted !== undefined) return scripted;
      checkCost('FakeRateLimitStore.take', rule, cost);
      const outcome = gcra(this.#tats.get(key), rule, now, cost);
      this.#tats.set(key, outcome.tat);
      return outcome.decision;
    };
    if (this.#held !== undefined) {
      const held = this.#held;
      return new Promise<RateDecision>((resolve, reject) => {
        held.push(() => {
          try {
            resolve(answer());
          } catch (err) {
            reject(err);
          }
        });
      });
    }
    if (!this.#async) return answer();
    return new Promise<RateDecision>((resolve) => resolve(answer()));
  }

  /** Every take from now on throws (or rejects, when async) with `error`; `undefined` heals it. */
  failWith(error: unknown): void {
    this.#failure = error === undefined ? undefined : { error };
  }

  /** The next takes answer these decisions, in order, instead of deciding. */
  answer(...decisions: RateDecision[]): void {
    this.#script.push(...decisions);
  }

  /** Takes from now on wait, unanswered, until {@link FakeRateLimitStore.release}. */
  hold(): void {
    this.#held ??= [];
  }

  /** Answers every held take, in order, and stops holding. Returns how many were held. */
  release(): number {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const answer of held) answer();
    return held.length;
  }

  /** Forgets every key and every recorded take; stops failing and holding. */
  reset(): void {
    this.takes.length = 0;
    this.#tats.clear();
    this.#failure = undefined;
    this.#script = [];
    this.release();
  }
}
