import { abortReason } from '../core/abort.js';
import type { Clock } from '../core/clock.js';
import { runPassThrough, untilAborted } from '../core/context.js';
import { describe, RateLimitedError } from '../core/errors.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import {
  checkKnownKeys,
  checkOptionsObject,
  clockOption,
  intOption,
  MAX_TIMER_MS,
  msOption,
  nameOption,
} from '../core/options.js';
import { type ExecuteOptions, isThenable, type Policy, type Work } from '../core/policy.js';
import { sleep } from '../core/sleep.js';
import { memoryRateLimitStore } from './memory-store.js';
import type { RateDecision, RateLimitStore, RateRule } from './store.js';

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** Permits per `windowMs` at the sustained rate, spread evenly: a whole number >= 1. */
  readonly limit: number;
  /** The window `limit` is counted over, in milliseconds (greater than 0). */
  readonly windowMs: number;
  /** How many permits may be taken at once after a quiet spell (default `limit`): a whole number >= 1. */
  readonly burst?: number | undefined;
  /**
   * How long a call may wait for a permit, in ms (default 0: refuse at once). A waiting call
   * holds its permit; its caller's abort ends the wait at once.
   */
  readonly maxWaitMs?: number | undefined;
  /** Names the policy in errors, events and metrics (default `'rate-limit'`). */
  readonly name?: string | undefined;
  /** Where time comes from (default: the system clock); pass a `FakeClock` in tests. */
  readonly clock?: Clock | undefined;
  /** Where permits are counted (default: a {@link memoryRateLimitStore} of this limiter's own). */
  readonly store?: RateLimitStore | undefined;
  /**
   * The key this limiter counts under in its store (default: its `name`). Two limiters with the
   * same key in one shared store (a Redis shared by replicas) share one limit.
   */
  readonly key?: string | undefined;
}

/** Events of a {@link RateLimitPolicy}. */
export interface RateLimitEvents {
  /** A call got a permit (after waiting `waitMs`, if it had to). */
  granted: {
    /** The policy's name. */
    readonly name: string;
    /** The store key the permit was taken under. */
    readonly key: string;
    /** How long the call waits for its permit before it runs; 0 when it runs at once. */
    readonly waitMs: number;
    /** Permits still free at once after this one. */
    readonly remaining: number;
  };
  /** A call was refused with a `RateLimitedError`. */
  rejected: {
    /** The policy's name. */
    readonly name: string;
    /** The store key that had no permit. */
    readonly key: string;
    /** Exactly when a permit falls due, in ms from now. */
    readonly retryAfterMs: number;
  };
}

/** What {@link RateLimitPolicy.stats} reports. */
export interface RateLimitStats {
  /** Permits granted since the limiter was made (waiting calls included). */
  readonly granted: number;
  /** Calls refused since the limiter was made. */
  readonly rejected: number;
  /** Calls waiting for their permit now. */
  readonly waiting: number;
  /** Permits per window, as configured. */
  readonly limit: number;
  /** The window, in milliseconds. */
  readonly windowMs: number;
  /** Permits that may be taken at once. */
  readonly burst: number;
}

/** A {@link Policy} that lets at most `limit` calls per `windowMs` through. Made by {@link rateLimit}. */
export interface RateLimitPolicy extends Policy, EventSource<RateLimitEvents> {
  readonly kind: 'rate-limit';
  /** The policy's name, as given in its options. */
  readonly name: string;
  /** The store key this policy counts under. */
  readonly key: string;
  /** The rule every key of this limiter follows, as handed to its store. */
  readonly rule: RateRule;
  /** Counts since the limiter was made, shared by every key (see {@link RateLimitPolicy.forKey}). */
  stats(): RateLimitStats;
  /**
   * The same limit, counted separately for `key` (a tenant, a user, an API token): a policy that
   * takes permits under `<this key>:<key>` in the same store, with the same rule, events and
   * stats. Cheap to make per call; pass it to `compose` like any policy.
   */
  forKey(key: string): RateLimitPolicy;
}

const KNOWN_OPTIONS = ['limit', 'windowMs', 'burst', 'maxWaitMs', 'name', 'clock', 'store', 'key'] as const;

/** The checked options of one limiter, shared by its keyed views. */
interface Settings {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly rule: RateRule;
  readonly clock: Clock;
  readonly store: RateLimitStore;
  readonly key: string;
}

/** Checks {@link RateLimitOptions} once, naming the option, the value and what is valid. @internal */
export function rateLimitSettings(options: RateLimitOptions): Settings {
  const where = 'rateLimit';
  checkOptionsObject(where, options);
  if (options === undefined) throw new TypeError(`${where}: options { limit, windowMs } are required`);
  checkKnownKeys(where, options, KNOWN_OPTIONS);
  const limit = intOption(where, 'limit', options.limit, undefined as unknown as number, 1, 1_000_000_000);
  const windowMs = msOption(where, 'windowMs', options.windowMs);
  const burst = intOption(where, 'burst', options.burst, limit, 1, 1_000_000_000);
  const maxWaitMs = msOption(where, 'maxWaitMs', options.maxWaitMs ?? 0, true);
  const name = nameOption(where, options.name, 'rate-limit');
  const store = options.store ?? memoryRateLimitStore();
  if (typeof store !== 'object' || store === null || typeof store.take !== 'function') {
    throw new TypeError(
      `${where}: option "store" must be a RateLimitStore (an object with a take(key, rule, now, cost?) method); got ${describe(store)}`,
    );
  }
  const key = options.key ?? name;
  if (typeof key !== 'string' || key.length === 0 || key.length > 512) {
    throw new TypeError(`${where}: option "key" must be a string of 1 to 512 characters; got ${describe(key)}`);
  }
  const rule: RateRule = Object.freeze({ intervalMs: windowMs / limit, burst, maxWaitMs });
  return { name, limit, windowMs, rule, clock: clockOption(where, options.clock), store, key };
}

/**
 * What a limiter and its keyed views share: the checked settings, the counters, the listeners.
 * Kept to one object, and the listeners made on first `on`, because a service may hold a limiter
 * per tenant (10,000 of them fit in about 3 MB; see bench/limits.ts).
 */
class Core {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly rule: RateRule;
  readonly clock: Clock;
  readonly store: RateLimitStore;
  granted = 0;
  rejected = 0;
  waiting = 0;
  #events: Emitter<RateLimitEvents> | undefined;

  constructor(settings: Settings) {
    // Copied, not kept: one object fewer per limiter.
    this.name = settings.name;
    this.limit = settings.limit;
    this.windowMs = settings.windowMs;
    this.rule = settings.rule;
    this.clock = settings.clock;
    this.store = settings.store;
  }

  get events(): Emitter<RateLimitEvents> {
    this.#events ??= new Emitter();
    return this.#events;
  }

  listening(event: keyof RateLimitEvents): boolean {
    return this.#events?.listening(event) === true;
  }
}

class RateLimiter implements RateLimitPolicy {
  readonly key: string;
  readonly #core: Core;

  constructor(core: Core, key: string) {
    this.#core = core;
    this.key = key;
  }

  get kind(): 'rate-limit' {
    return 'rate-limit';
  }

  get name(): string {
    return this.#core.name;
  }

  get rule(): RateRule {
    return this.#core.rule;
  }

  on<K extends keyof RateLimitEvents>(event: K, listener: (payload: RateLimitEvents[K]) => void): () => void {
    return this.#core.events.on(event, listener);
  }

  stats(): RateLimitStats {
    const { granted, rejected, waiting } = this.#core;
    const { limit, windowMs, rule } = this.#core;
    return { granted, rejected, waiting, limit, windowMs, burst: rule.burst };
  }

  forKey(key: string): RateLimitPolicy {
    if (typeof key !== 'string' || key.length === 0 || key.length > 512) {
      throw new TypeError(`rateLimit.forKey: key must be a string of 1 to 512 characters; got ${describe(key)}`);
    }
    return new RateLimiter(this.#core, `${this.key}:${key}`);
  }

  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T> {
    const caller = options?.signal;
    if (caller?.aborted) return Promise.reject(abortReason(caller));
    const { store, rule, clock } = this.#core;
    let answer: RateDecision | PromiseLike<RateDecision>;
    try {
      answer = store.take(this.key, rule, clock.now());
    } catch (err) {
      return Promise.reject(err);
    }
    if (isThenable(answer)) return this.#afterStore(answer, fn, options);
    return this.#decided(answer, fn, options);
  }

  #decided<T>(decision: RateDecision, fn: Work<T>, options: ExecuteOptions | undefined): Promise<T> {
    const core = this.#core;
    // The common answer (granted, no wait) costs no check; anything else from a store of someone
    // else's making is checked, so a bad answer fails plainly instead of as a wrong wait.
    if (!(decision?.granted === true && decision.waitMs === 0) && !isDecision(decision)) {
      return Promise.reject(
        new TypeError(
          `rateLimit "${this.name}": the store answered ${shown(decision)}; a take must answer { granted: boolean, waitMs: a finite number >= 0, remaining: a number >= 0 }`,
        ),
      );
    }
    if (!decision.granted) {
      core.rejected++;
      if (core.listening('rejected')) {
        core.events.emit('rejected', { name: this.name, key: this.key, retryAfterMs: decision.waitMs });
      }
      return Promise.reject(refusal(this.name, decision.waitMs));
    }
    core.granted++;
    if (core.listening('granted')) {
      core.events.emit('granted', {
        name: this.name,
        key: this.key,
        waitMs: decision.waitMs,
        remaining: decision.remaining,
      });
    }
    if (decision.waitMs > 0) return this.#waitThenRun(decision.waitMs, fn, options);
    return runPassThrough(fn, options);
  }

  async #waitThenRun<T>(waitMs: number, fn: Work<T>, options: ExecuteOptions | undefined): Promise<T> {
    const core = this.#core;
    core.waiting++;
    try {
      // The permit is reserved for this moment; a wait the caller aborts spends it (never gives
      // the limit away twice).
      await sleep(core.clock, Math.min(waitMs, MAX_TIMER_MS), options?.signal);
    } finally {
      core.waiting--;
    }
    return runPassThrough(fn, options);
  }

  /** An asynchronous store (Redis): the caller's abort settles the call at once, whatever the store does. */
  #afterStore<T>(answer: PromiseLike<RateDecision>, fn: Work<T>, options: ExecuteOptions | undefined): Promise<T> {
    const caller = options?.signal;
    const decided = caller === undefined ? Promise.resolve(answer) : untilAborted(answer, caller);
    return decided.then((decision) => this.#decided(decision, fn, options));
  }
}

function shown(value: unknown): string {
  try {
    return JSON.stringify(value) ?? describe(value);
  } catch {
    return describe(value);
  }
}

function isDecision(d: RateDecision | null | undefined): boolean {
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.granted === 'boolean' &&
    typeof d.waitMs === 'number' &&
    Number.isFinite(d.waitMs) &&
    d.waitMs >= 0 &&
    typeof d.remaining === 'number' &&
    d.remaining >= 0
  );
}

type StackLimited = { stackTraceLimit?: unknown };

/**
 * The refusal, made without a stack trace. Refusals come in floods exactly when a service is
 * overloaded, and capturing the stack is most of their cost (about 5x the whole refusal); the
 * message names the limiter, which is what a reader needs.
 */
function refusal(policy: string, retryAfterMs: number): RateLimitedError {
  const errorClass = Error as StackLimited;
  const limit = errorClass.stackTraceLimit;
  // Only where the engine has the knob (V8: Node, Deno, Chrome, workers); elsewhere a plain error.
  if (typeof limit !== 'number') return new RateLimitedError({ policy, retryAfterMs });
  errorClass.stackTraceLimit = 0;
  try {
    return new RateLimitedError({ policy, retryAfterMs });
  } finally {
    errorClass.stackTraceLimit = limit;
  }
}

/**
 * A policy that lets at most `limit` calls per `windowMs` run, spread evenly (one every
 * `windowMs / limit` ms), with up to `burst` at once after a quiet spell. It follows GCRA: one
 * number of state per key, no timer while idle, and an exact answer for when the next permit
 * falls due. A call with no permit waits for one up to `maxWaitMs` (on the clock, abortable) or is
 * refused at once with a `RateLimitedError` whose `retryAfterMs` is exact: a call made that much
 * later gets a permit, unless another takes it first.
 *
 * State lives behind a {@link RateLimitStore}: in memory by default, on Redis with
 * `bulwark/redis` so replicas share one limit. For one limit per tenant, use
 * {@link RateLimitPolicy.forKey}.
 *
 * @example
 * ```ts
 * import { RateLimitedError } from 'bulwark';
 * import { rateLimit } from 'bulwark/rate-limit';
 *
 * // The provider allows 100 requests a minute; wait up to 2 s for a permit, then give up.
 * const github = rateLimit({ name: 'github', limit: 100, windowMs: 60_000, burst: 10, maxWaitMs: 2000 });
 *
 * try {
 *   const res = await github.execute(({ signal }) => fetch('https://api.github.com/rate_limit', { signal }));
 *   console.log(res.status);
 * } catch (err) {
 *   if (err instanceof RateLimitedError) console.warn(`over our budget; next permit in ${err.retryAfterMs} ms`);
 *   else throw err;
 * }
 * ```
 */
export function rateLimit(options: RateLimitOptions): RateLimitPolicy {
  const settings = rateLimitSettings(options);
  return new RateLimiter(new Core(settings), settings.key);
}
