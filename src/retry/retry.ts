import pRetry from 'p-retry';
import { abortReason, isAborted } from '../core/abort.js';
import { runAttempt } from '../core/attempt.js';
import { type BackoffOption, exponential, isBackoffOption, nextDelay } from '../core/backoff.js';
import { isRetryable } from '../core/classify.js';
import type { Clock } from '../core/clock.js';
import { type Configurable, configureOne, PREPARE_CONFIGURE, SettingsHistory } from '../core/configure.js';
import { describe, RejectedError } from '../core/errors.js';
import { type FailureTaker, gateOf, IN_PIPELINE } from '../core/gate.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import { openedBreaker } from '../core/opened.js';
import { checkKnownKeys, checkOptionsObject, clockOption, functionOption, nameOption } from '../core/options.js';
import {
  type ExecuteOptions,
  type HiddenSignalOptions,
  type Policy,
  type Rest,
  SIGNAL_HIDDEN,
  type Work,
  workOf,
} from '../core/policy.js';
import { retryAfterMs } from '../core/retry-after.js';
import { sleep } from '../core/sleep.js';
import { isRetryBudget, type RetryBudget } from './budget.js';

/** What `shouldRetry` is told besides the error. */
export interface RetryDecisionContext {
  /** The attempt that just failed: 1 for the first. */
  readonly attempt: number;
  /** Milliseconds since the first attempt started. */
  readonly elapsedMs: number;
}

/**
 * Options of {@link retry}. `R` is the type the work returns, as `isResultFailure` reads it:
 * inferred from that predicate's parameter, e.g. `(res: Response) => res.status >= 500`.
 */
export interface RetryOptions<R = unknown> {
  /** Attempts in total, the first included (default 3). `Infinity` needs `maxElapsedMs`. */
  readonly attempts?: number | undefined;
  /** Delays between attempts (default `exponential()`: 1 s, 2 s, 4 s... up to 10 s, full jitter). */
  readonly backoff?: BackoffOption | undefined;
  /** Total time budget from the first attempt; a wait that would end past it is not started. */
  readonly maxElapsedMs?: number | undefined;
  /** Whether an error is worth another attempt (default `isRetryable`). Throwing counts as no. */
  readonly shouldRetry?:
    | ((error: unknown, context: RetryDecisionContext) => boolean | PromiseLike<boolean>)
    | undefined;
  /**
   * Which returned values are failures worth another attempt, e.g. `(res: Response) => res.status
   * === 503`. Such a value is retried (its `headers`' Retry-After honoured) until attempts, time or
   * budget run out; then the call resolves with the last value. The same predicate fits the
   * breaker's `isResultFailure`.
   */
  readonly isResultFailure?: ((value: R) => boolean) | undefined;
  /** Longest server-requested wait honoured, in ms (default 60000); longer ones are cut to it. */
  readonly maxRetryAfterMs?: number | undefined;
  /** A budget shared with other calls that caps retries as a share of first attempts. */
  readonly budget?: RetryBudget | undefined;
  /** Names the policy in events and metrics (default `'retry'`). */
  readonly name?: string | undefined;
  /** Where time comes from (default: the system clock). */
  readonly clock?: Clock | undefined;
  /** Source of jitter, returning [0, 1) (default `Math.random`). */
  readonly random?: (() => number) | undefined;
}

/**
 * Why a retry policy stopped trying. `'rejected'`: a policy inside refused the call (an open
 * breaker, a full bulkhead, a rate limit), or the attempt's failure just opened a breaker inside,
 * so the next attempt would be refused.
 */
export type GiveUpReason = 'exhausted' | 'permanent' | 'rejected' | 'budget' | 'deadline' | 'aborted';

/** Events of a {@link RetryPolicy}. */
export interface RetryEvents {
  /** An attempt failed and another follows after `delayMs`. */
  retry: {
    /** The policy's name. */
    readonly name: string;
    /** The attempt that failed: 1 for the first. */
    readonly attempt: number;
    /** Why it failed. */
    readonly error: unknown;
    /** The wait before the next attempt. */
    readonly delayMs: number;
  };
  /** The call failed for good. */
  giveUp: {
    /** The policy's name. */
    readonly name: string;
    /** Attempts made. */
    readonly attempts: number;
    /** The error the call rejects with (or, after `isResultFailure`, the value it resolves with). */
    readonly error: unknown;
    /** Why no further attempt was made. */
    readonly reason: GiveUpReason;
    /** Milliseconds from the start of the first attempt until it gave up, waits included. */
    readonly durationMs: number;
  };
  /** The call succeeded. */
  success: {
    /** The policy's name. */
    readonly name: string;
    /** Attempts made, the successful one included. */
    readonly attempts: number;
    /** Milliseconds from the start of the first attempt until it succeeded, waits included. */
    readonly durationMs: number;
  };
}

/** What {@link RetryPolicy.configure} can change at run time: every option but `name` and `clock`. */
export type RetrySettings<R = unknown> = Omit<RetryOptions<R>, 'name' | 'clock'>;

/** A {@link Policy} that tries again what failed for a transient reason. Made by {@link retry}. */
export interface RetryPolicy extends Policy, EventSource<RetryEvents>, Configurable<RetrySettings> {
  readonly kind: 'retry';
  /** The policy's name. */
  readonly name: string;
  /** Attempts in total, the first included. */
  readonly attempts: number;
}

const KNOWN_OPTIONS = [
  'attempts',
  'backoff',
  'maxElapsedMs',
  'shouldRetry',
  'isResultFailure',
  'maxRetryAfterMs',
  'budget',
  'name',
  'clock',
  'random',
] as const;
const CONFIGURABLE = KNOWN_OPTIONS.filter((key) => key !== 'name' && key !== 'clock');

/**
 * Carries an attempt's failure through p-retry untouched: p-retry turns non-Errors into
 * TypeErrors and never retries a TypeError, and the caller must get the very error thrown.
 * Made with Object.create, so it is an Error without the cost of a stack.
 */
class Failure extends Error {
  declare readonly error: unknown;
  /** True when `error` is a value the work returned and `isResultFailure` refused. */
  declare readonly result: boolean;
}
const carry = (error: unknown, result = false): Failure =>
  Object.assign(Object.create(Failure.prototype) as Failure, { error, result });

function refused(predicate: (value: unknown) => boolean, value: unknown): boolean {
  try {
    return predicate(value) === true;
  } catch {
    return false;
  }
}

interface Settings {
  readonly name: string;
  readonly attempts: number;
  readonly backoff: BackoffOption;
  readonly maxElapsedMs: number;
  readonly shouldRetry: RetryOptions['shouldRetry'];
  readonly isResultFailure: ((value: unknown) => boolean) | undefined;
  readonly maxRetryAfterMs: number;
  readonly budget: RetryBudget | undefined;
  readonly clock: Clock;
  readonly random: () => number;
}

const RETRY_AFTER_FIRST: unique symbol = Symbol('bulwark.retryAfterFirst') as never;

/**
 * What a retry in compose leaves with the timed call inside it: everything its further attempts
 * need, in one object (a closure over the same would cost its scope as well).
 */
class FirstFailure<T> implements FailureTaker {
  readonly #retry: Retry;
  readonly #s: Settings;
  readonly #given: Work<T>;
  readonly #rest: Rest | undefined;
  readonly #caller: AbortSignal | undefined;
  readonly #startedAt: number;

  constructor(
    retry: Retry,
    s: Settings,
    given: Work<T>,
    rest: Rest | undefined,
    caller: AbortSignal | undefined,
    startedAt: number,
  ) {
    this.#retry = retry;
    this.#s = s;
    this.#given = given;
    this.#rest = rest;
    this.#caller = caller;
    this.#startedAt = startedAt;
  }

  takeOver(error: unknown): Promise<T> {
    return this.#retry[RETRY_AFTER_FIRST](this.#s, this.#given, this.#rest, this.#caller, this.#startedAt, error);
  }
}

class Retry implements RetryPolicy {
  readonly kind = 'retry' as const;
  readonly #settings: SettingsHistory<Settings>;
  /** The options the current settings were made from: `configure` merges over them. */
  #options: RetryOptions;
  readonly #events = new Emitter<RetryEvents>();

  constructor(options: RetryOptions, settings: Settings) {
    this.#options = options;
    this.#settings = new SettingsHistory(settings);
  }

  get name(): string {
    return this.#settings.current.name;
  }

  get attempts(): number {
    return this.#settings.current.attempts;
  }

  configure(options: RetrySettings): void {
    configureOne(this, options, 'retry.configure');
  }

  [PREPARE_CONFIGURE](options: unknown): (epoch: number) => void {
    const where = 'retry.configure';
    checkOptionsObject(where, options);
    checkKnownKeys(where, options ?? {}, CONFIGURABLE);
    const merged: RetryOptions = { ...this.#options, ...(options as RetrySettings) };
    const next = retrySettings(merged);
    return (epoch) => {
      this.#options = merged;
      this.#settings.set(next, epoch);
    };
  }

  on<K extends keyof RetryEvents>(event: K, listener: (payload: RetryEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T> {
    return this.#execute(fn, options, false, undefined);
  }

  /** In `compose`: the same call; a gate from right inside takes the first failure over (core/gate.ts). */
  [IN_PIPELINE]<T>(fn: Work<T>, options: ExecuteOptions | undefined, rest: Rest | undefined): Promise<T> {
    return this.#execute(fn, options, true, rest);
  }

  #execute<T>(
    given: Work<T>,
    options: ExecuteOptions | undefined,
    pipeline: boolean,
    rest: Rest | undefined,
  ): Promise<T> {
    const caller = options?.signal;
    if (isAborted(caller)) return Promise.reject(abortReason(caller as AbortSignal));
    const s = this.#settings.at(options?.since);
    s.budget?.recordAttempt();
    // The clock is read only when something will use the start: a time budget, shouldRetry's
    // elapsedMs, or a listener (one that subscribes mid-call is timed from the first failure).
    const startedAt =
      s.maxElapsedMs !== Number.POSITIVE_INFINITY || s.shouldRetry !== undefined || this.#events.listeningAny()
        ? s.clock.now()
        : Number.NaN;
    // The first attempt runs here, not in p-retry: the success path then costs one call, and
    // p-retry only takes over once something failed.
    const first = runAttempt(given, 1, caller, (options as HiddenSignalOptions | undefined)?.[SIGNAL_HIDDEN], rest);
    const { isResultFailure } = s;
    // The common case: nobody listens and no value can fail, so no success handler and no clock
    // read. (A listener that subscribes while the call runs hears from the next call on.)
    if (isResultFailure === undefined && !this.#events.listening('success')) {
      // In compose, the timed call right inside hands its first failure here and its promise
      // follows the retries: the caller awaits that one promise, and the retry adds none.
      const gate = pipeline ? gateOf(first) : undefined;
      if (gate?.takeFailure(new FirstFailure(this, s, given, rest, caller, startedAt)) === true) return first;
      return this.#onFirstFailure(first, s, given, rest, caller, startedAt);
    }
    return this.#onFirstOutcome(first, s, workOf(given, rest), caller, startedAt, isResultFailure);
  }

  /** Retries once the first attempt failed (the common case outside compose: one closure). */
  #onFirstFailure<T>(
    first: Promise<T>,
    s: Settings,
    given: Work<T>,
    rest: Rest | undefined,
    caller: AbortSignal | undefined,
    startedAt: number,
  ): Promise<T> {
    return first.then(undefined, (error: unknown) => this[RETRY_AFTER_FIRST](s, given, rest, caller, startedAt, error));
  }

  /** Retries once the first attempt failed or returned a refused value; reports a first success. */
  #onFirstOutcome<T>(
    first: Promise<T>,
    s: Settings,
    fn: Work<T>,
    caller: AbortSignal | undefined,
    startedAt: number,
    isResultFailure: ((value: unknown) => boolean) | undefined,
  ): Promise<T> {
    const since = (): number => (Number.isNaN(startedAt) ? s.clock.now() : startedAt);
    const retryAfterFirst = (error: unknown): Promise<T> => this.#retryAfterFirst(s, fn, caller, carry(error), since());
    return first.then((value) => {
      if (isResultFailure !== undefined && refused(isResultFailure, value)) {
        return this.#retryAfterFirst(s, fn, caller, carry(value, true), since());
      }
      if (this.#events.listening('success')) {
        this.#events.emit('success', { name: s.name, attempts: 1, durationMs: s.clock.now() - startedAt });
      }
      return value;
    }, retryAfterFirst);
  }

  /** The retries after a first failure (the work as one function is made only now). @internal */
  [RETRY_AFTER_FIRST]<T>(
    s: Settings,
    given: Work<T>,
    rest: Rest | undefined,
    caller: AbortSignal | undefined,
    startedAt: number,
    error: unknown,
  ): Promise<T> {
    return this.#retryAfterFirst(
      s,
      workOf(given, rest),
      caller,
      carry(error),
      Number.isNaN(startedAt) ? s.clock.now() : startedAt,
    );
  }

  async #retryAfterFirst<T>(
    s: Settings,
    fn: Work<T>,
    caller: AbortSignal | undefined,
    first: Failure,
    startedAt: number,
  ): Promise<T> {
    let attempt = 1;
    let reason: GiveUpReason | undefined;
    let previousMs: number | undefined;

    const decide = async ({ error, result }: Failure): Promise<boolean> => {
      // The next attempt would be refused by the breaker this one just opened: no point waiting.
      if (openedBreaker(error)) {
        reason = 'rejected';
        return false;
      }
      let retryable = result;
      if (!result) {
        try {
          retryable = s.shouldRetry
            ? (await s.shouldRetry(error, { attempt, elapsedMs: s.clock.now() - startedAt })) === true
            : isRetryable(error, { signal: caller });
        } catch {
          retryable = false;
        }
      }
      if (caller?.aborted) throw abortReason(caller);
      if (!retryable) {
        reason = error instanceof RejectedError ? 'rejected' : 'permanent';
        return false;
      }
      // Read after shouldRetry: the time an async decision took counts against maxElapsedMs.
      const elapsedMs = s.clock.now() - startedAt;
      let delayMs = nextDelay(s.backoff, { attempt, error, previousMs, random: s.random });
      const asked = retryAfterMs(error);
      if (asked !== undefined) delayMs = Math.max(delayMs, Math.min(asked, s.maxRetryAfterMs));
      if (elapsedMs + delayMs > s.maxElapsedMs) {
        reason = 'deadline';
        return false;
      }
      if (s.budget && !s.budget.tryRetry()) {
        reason = 'budget';
        return false;
      }
      previousMs = delayMs;
      this.#events.emit('retry', { name: s.name, attempt, error, delayMs });
      await sleep(s.clock, delayMs, caller);
      return true;
    };

    try {
      const value = await pRetry(
        (n: number) => {
          attempt = n;
          if (n === 1) throw first;
          return runAttempt(fn, n, caller).then(
            (value) => {
              if (s.isResultFailure !== undefined && refused(s.isResultFailure, value)) throw carry(value, true);
              return value;
            },
            (error: unknown) => {
              throw carry(error);
            },
          );
        },
        {
          retries: s.attempts - 1,
          minTimeout: 0,
          ...(caller ? { signal: caller } : {}),
          shouldRetry: ({ error }) => decide(error as Failure),
        },
      );
      this.#events.emit('success', { name: s.name, attempts: attempt, durationMs: s.clock.now() - startedAt });
      return value;
    } catch (thrown) {
      const aborted = caller?.aborted === true;
      const error = aborted ? abortReason(caller as AbortSignal) : thrown instanceof Failure ? thrown.error : thrown;
      const value = !aborted && thrown instanceof Failure && thrown.result;
      this.#events.emit('giveUp', {
        name: s.name,
        attempts: attempt,
        error,
        reason: aborted ? 'aborted' : (reason ?? 'exhausted'),
        durationMs: s.clock.now() - startedAt,
      });
      // A refused value is still the work's answer: the caller gets the last one, as from a breaker.
      if (value) return error as T;
      throw error;
    }
  }
}

function checkPositive(name: string, value: unknown, allowInfinity: boolean, what: string): number {
  const ok =
    typeof value === 'number' &&
    value > 0 &&
    (Number.isFinite(value) || (allowInfinity && value === Number.POSITIVE_INFINITY));
  if (!ok) throw new RangeError(`retry: option "${name}" must be ${what}; got ${describe(value)}`);
  return value as number;
}

/**
 * A policy that runs the work again when it fails for a transient reason, waiting a backoff
 * between attempts, and gives up with the last error (the very object thrown, never wrapped)
 * when trying again cannot help, attempts run out, the time budget or the retry budget is spent,
 * or the caller aborts. Each attempt gets its own signal; a caller's abort ends a wait at once.
 *
 * What is retried is decided by `shouldRetry`, by default `isRetryable` from core: a
 * `RetryableError`, a timeout, a 503 or an ECONNRESET is retried; a `PermanentError`, a 404, a
 * programming error or an open circuit breaker is not. A `Retry-After` (or
 * `RetryableError.retryAfterMs`) lengthens the wait to what the server asked, up to
 * `maxRetryAfterMs`.
 *
 * @example
 * ```ts
 * import { throwIfNotOk } from 'bulwark';
 * import { retry } from 'bulwark/retry';
 *
 * const policy = retry({ attempts: 4, maxElapsedMs: 15_000 });
 * policy.on('retry', ({ attempt, delayMs }) => console.warn(`attempt ${attempt} failed; next in ${delayMs} ms`));
 *
 * const user = await policy.execute(async ({ signal }) => {
 *   const res = throwIfNotOk(await fetch('https://api.example.com/users/42', { signal }));
 *   return res.json();
 * });
 * ```
 */
export function retry<R = unknown>(options?: RetryOptions<R>): RetryPolicy {
  const where = 'retry';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, KNOWN_OPTIONS);
  const o = (options ?? {}) as RetryOptions;
  return new Retry(o, retrySettings(o));
}

/** Checks every option and makes the settings a call runs under (the factory's and `configure`'s). */
/**
 * The most attempts a finite `attempts` may ask for: beyond it a number bounds nothing in
 * practice (1e308 would retry for ever), so more must be `Infinity` with `maxElapsedMs`.
 */
const MAX_ATTEMPTS = 10_000;

function retrySettings(o: RetryOptions): Settings {
  const where = 'retry';
  const attempts = o.attempts ?? 3;
  if (
    typeof attempts !== 'number' ||
    !(attempts >= 1) ||
    (Number.isFinite(attempts)
      ? !Number.isInteger(attempts) || attempts > MAX_ATTEMPTS
      : attempts !== Number.POSITIVE_INFINITY)
  ) {
    throw new RangeError(
      `retry: option "attempts" must be a whole number from 1 to ${MAX_ATTEMPTS}, or Infinity with maxElapsedMs; got ${describe(attempts)}`,
    );
  }
  const maxElapsedMs =
    o.maxElapsedMs === undefined
      ? Number.POSITIVE_INFINITY
      : checkPositive('maxElapsedMs', o.maxElapsedMs, false, 'a finite number of milliseconds > 0');
  if (attempts === Number.POSITIVE_INFINITY && maxElapsedMs === Number.POSITIVE_INFINITY) {
    throw new RangeError('retry: option "attempts" is Infinity, which needs "maxElapsedMs" to bound the retries');
  }
  if (o.backoff !== undefined && !isBackoffOption(o.backoff)) {
    throw new TypeError(
      `retry: option "backoff" must be a backoff (exponential(), constant(ms), fromDelays([...])) or a function (attempt, error) => ms; got ${describe(o.backoff)}`,
    );
  }
  functionOption(where, 'shouldRetry', o.shouldRetry, '(error, context) => boolean');
  if (o.budget !== undefined && !isRetryBudget(o.budget)) {
    throw new TypeError(`retry: option "budget" must be a RetryBudget from retryBudget(); got ${describe(o.budget)}`);
  }
  functionOption(where, 'random', o.random, 'returning a number in [0, 1)');
  const maxRetryAfterMs = o.maxRetryAfterMs ?? 60_000;
  if (typeof maxRetryAfterMs !== 'number' || !(maxRetryAfterMs >= 0) || !Number.isFinite(maxRetryAfterMs)) {
    throw new RangeError(
      `retry: option "maxRetryAfterMs" must be a finite number of milliseconds >= 0; got ${describe(maxRetryAfterMs)}`,
    );
  }
  return {
    name: nameOption(where, o.name, 'retry'),
    attempts,
    backoff: o.backoff ?? exponential(),
    maxElapsedMs,
    shouldRetry: o.shouldRetry,
    isResultFailure: functionOption<(value: unknown) => boolean>(
      where,
      'isResultFailure',
      o.isResultFailure,
      '(value) => boolean',
    ),
    maxRetryAfterMs,
    budget: o.budget,
    clock: clockOption(where, o.clock),
    random: o.random ?? Math.random,
  };
}
