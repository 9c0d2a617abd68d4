import type { Clock } from '../core/clock.js';
import { configureOne, PREPARE_CONFIGURE } from '../core/configure.js';
import { describe } from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject, clockOption, msOption, nameOption } from '../core/options.js';
import { type RetryBudgetStore, SharedBudget } from './shared-budget.js';

/** Options of {@link retryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed per first attempt, from 0 to 1 (default 0.2: at most 20% extra load). */
  readonly ratio?: number | undefined;
  /** Retries per second always allowed, however few first attempts there were (default 10). */
  readonly minPerSecond?: number | undefined;
  /** How far back first attempts and retries are counted, in ms (default 10000). */
  readonly windowMs?: number | undefined;
  /** Where time comes from (default: the system clock). */
  readonly clock?: Clock | undefined;
  /** Share the budget with other replicas through a store, e.g. `redisStore({ client })` (see docs/redis.md). */
  readonly store?: RetryBudgetStore | undefined;
  /** With `store`: the budget's name, the same on every replica sharing it (default `'default'`). */
  readonly key?: string | undefined;
  /** With `store`: how often a replica reports its counts and reads the fleet's, in ms (default 1000). */
  readonly syncMs?: number | undefined;
}

/**
 * What `configure` of a budget made by {@link retryBudget} can change at run time. The window
 * (`windowMs`) shapes the counts kept, so it is fixed: make a new budget to change it.
 */
export type RetryBudgetSettings = Pick<RetryBudgetOptions, 'ratio' | 'minPerSecond'>;

/** A snapshot of a {@link RetryBudget}'s window. */
export interface RetryBudgetStats {
  /** First attempts counted in the window. */
  readonly firstAttempts: number;
  /** Retries taken in the window. */
  readonly retries: number;
  /** Retries that may still be taken now (whole number, at least 0). */
  readonly available: number;
  /** With `store`: true when the counts are the fleet's, false while the store is unreachable. */
  readonly shared?: boolean | undefined;
}

/**
 * A budget of retries shared by many calls and policies. Made by {@link retryBudget}.
 *
 * @example
 * ```ts
 * import { retry, retryBudget } from 'bulwark/retry';
 *
 * const budget = retryBudget({ ratio: 0.1 });
 * const users = retry({ budget });
 * const orders = retry({ budget }); // both draw from the same budget
 * ```
 */
export interface RetryBudget {
  /**
   * New `ratio` and `minPerSecond` over the counts kept (a budget made by {@link retryBudget} has
   * it; one of your own may not). Throws, changing nothing, on a bad value.
   */
  configure?(settings: RetryBudgetSettings): void;
  /** Counts a first attempt (retry policies call this). */
  recordAttempt(): void;
  /** Takes one retry if the budget allows it; false when it is spent. */
  tryRetry(): boolean;
  /** What the window holds now. */
  stats(): RetryBudgetStats;
}

const BUCKETS = 10;
const slot = (epoch: number): number => ((epoch % BUCKETS) + BUCKETS) % BUCKETS;

class WindowedBudget implements RetryBudget {
  #ratio: number;
  #reserve: number;
  readonly #bucketMs: number;
  readonly #clock: Clock;
  readonly #attempts = new Float64Array(BUCKETS);
  readonly #retries = new Float64Array(BUCKETS);
  #epoch = 0; // index of the bucket that holds "now", counted from the clock's origin

  constructor(ratio: number, minPerSecond: number, windowMs: number, clock: Clock) {
    this.#ratio = ratio;
    this.#reserve = (minPerSecond * windowMs) / 1000;
    this.#bucketMs = windowMs / BUCKETS;
    this.#clock = clock;
    this.#epoch = Math.floor(clock.now() / this.#bucketMs);
  }

  /** Moves the window to now, emptying the buckets that fell out of it. */
  #roll(): number {
    const epoch = Math.floor(this.#clock.now() / this.#bucketMs);
    const passed = epoch - this.#epoch;
    if (passed > 0) {
      for (let i = 1; i <= Math.min(passed, BUCKETS); i++) {
        const index = slot(this.#epoch + i);
        this.#attempts[index] = 0;
        this.#retries[index] = 0;
      }
      this.#epoch = epoch;
    }
    return slot(this.#epoch);
  }

  #sum(list: Float64Array): number {
    let total = 0;
    for (const n of list) total += n;
    return total;
  }

  #available(): number {
    return this.#ratio * this.#sum(this.#attempts) + this.#reserve - this.#sum(this.#retries);
  }

  /** New rates over the same counts: the retries and first attempts in the window are kept. */
  retune(ratio: number, reserve: number): void {
    this.#ratio = ratio;
    this.#reserve = reserve;
  }

  recordAttempt(): void {
    const index = this.#roll();
    this.#attempts[index] = (this.#attempts[index] ?? 0) + 1;
  }

  tryRetry(): boolean {
    const index = this.#roll();
    if (this.#available() < 1) return false;
    this.#retries[index] = (this.#retries[index] ?? 0) + 1;
    return true;
  }

  stats(): RetryBudgetStats {
    this.#roll();
    return {
      firstAttempts: this.#sum(this.#attempts),
      retries: this.#sum(this.#retries),
      available: Math.max(0, Math.floor(this.#available())),
    };
  }
}

function checkNumber(name: string, value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new RangeError(`retryBudget: option "${name}" must be ${what}; got ${describe(value)}`);
  }
  return value;
}

/**
 * A retry budget: within any window of `windowMs` (10 s), the calls that share it retry at most
 * `ratio` times the first attempts made in that window, plus `minPerSecond` per second of
 * window. When it is spent, a retry policy gives up at once with the last error (reason
 * `'budget'`), so a fleet of clients adds at most `ratio` extra load to a struggling
 * dependency instead of multiplying it by the number of attempts. Memory is fixed (ten
 * buckets); no timer runs. With `store` (e.g. `redisStore` from `bulwark/redis`) the budget is
 * the fleet's: replicas report their counts every `syncMs` and decide against the fleet's
 * totals, each alone while the store cannot answer (see docs/redis.md).
 *
 * @example
 * ```ts
 * import { retry, retryBudget } from 'bulwark/retry';
 *
 * // Shared by every call to the payments API from this process.
 * const budget = retryBudget({ ratio: 0.2, minPerSecond: 5 });
 * const policy = retry({ attempts: 4, budget });
 * ```
 */
export function retryBudget(options?: RetryBudgetOptions): RetryBudget {
  const where = 'retryBudget';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, ['ratio', 'minPerSecond', 'windowMs', 'clock', 'store', 'key', 'syncMs']);
  let { ratio, minPerSecond } = budgetRates(options ?? {});
  const windowMs = checkNumber(
    'windowMs',
    options?.windowMs ?? 10_000,
    10,
    3_600_000,
    'a number of ms from 10 to 3600000',
  );
  const clock = clockOption(where, options?.clock);
  const local = new WindowedBudget(ratio, minPerSecond, windowMs, clock);
  const store = options?.store;
  let shared: SharedBudget | undefined;
  if (store === undefined) {
    if (options?.key !== undefined || options?.syncMs !== undefined) {
      throw new TypeError(`${where}: options "key" and "syncMs" need "store"`);
    }
  } else {
    if (typeof (store as Partial<RetryBudgetStore> | null)?.syncBudget !== 'function') {
      throw new TypeError(
        `${where}: option "store" must be a RetryBudgetStore such as redisStore({ client }) from 'bulwark/redis'; got ${describe(store)}`,
      );
    }
    shared = new SharedBudget(
      {
        store,
        key: nameOption(`${where} (option "key")`, options?.key, 'default'),
        syncMs: msOption(where, 'syncMs', options?.syncMs ?? 1000),
        ratio,
        reserve: (minPerSecond * windowMs) / 1000,
        windowMs,
        clock,
      },
      local,
    );
  }
  const prepare = (given: unknown): (() => void) => {
    const at = 'retryBudget.configure';
    checkOptionsObject(at, given);
    checkKnownKeys(at, given ?? {}, ['ratio', 'minPerSecond']);
    const next = budgetRates({ ratio, minPerSecond, ...(given as RetryBudgetSettings) });
    return () => {
      ({ ratio, minPerSecond } = next);
      const reserve = (minPerSecond * windowMs) / 1000;
      local.retune(ratio, reserve);
      shared?.retune(ratio, reserve);
    };
  };
  const budget: RetryBudget & { [PREPARE_CONFIGURE]: typeof prepare } = {
    recordAttempt: () => (shared ?? local).recordAttempt(),
    tryRetry: () => (shared ?? local).tryRetry(),
    stats: () => {
      if (shared === undefined) return local.stats();
      const counts = shared.counts();
      if (counts === undefined) return { ...local.stats(), shared: false };
      const available = ratio * counts.attempts + (minPerSecond * windowMs) / 1000 - counts.retries;
      return {
        firstAttempts: counts.attempts,
        retries: counts.retries,
        available: Math.max(0, Math.floor(available)),
        shared: true,
      };
    },
    configure: (settings: RetryBudgetSettings) => configureOne(budget, settings, 'retryBudget.configure'),
    [PREPARE_CONFIGURE]: prepare,
  };
  return budget;
}

function budgetRates(o: RetryBudgetOptions): { ratio: number; minPerSecond: number } {
  return {
    ratio: checkNumber('ratio', o.ratio ?? 0.2, 0, 1, 'a number from 0 to 1'),
    minPerSecond: checkNumber('minPerSecond', o.minPerSecond ?? 10, 0, Number.MAX_SAFE_INTEGER, 'a number >= 0'),
  };
}

/** True when `value` can serve as a {@link RetryBudget}. */
export function isRetryBudget(value: unknown): value is RetryBudget {
  if (typeof value !== 'object' || value === null) return false;
  const b = value as RetryBudget;
  return typeof b.recordAttempt === 'function' && typeof b.tryRetry === 'function';
}
