import { abortReason } from '../core/abort.js';
import { type Configurable, configureOne, PREPARE_CONFIGURE } from '../core/configure.js';
import { passThroughContext, untilAborted } from '../core/context.js';
import { describe } from '../core/errors.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import { checkKnownKeys, checkOptionsObject, functionOption, nameOption } from '../core/options.js';
import { type ExecuteContext, type ExecuteOptions, isThenable, type Work } from '../core/policy.js';

/** Options every form of {@link fallback} shares. */
export interface FallbackCommonOptions {
  /**
   * Which failures the fallback answers (default: every error except the caller's own abort).
   * A `when` that throws counts as false: the original error goes on.
   */
  readonly when?: ((error: unknown) => boolean) | undefined;
  /** Names the policy in events and metrics (default `'fallback'`). */
  readonly name?: string | undefined;
}

/** {@link fallback} with a fixed value. */
export interface FallbackValueOptions<R> extends FallbackCommonOptions {
  /** What a failed call resolves with instead. */
  readonly value: R;
}

/** {@link fallback} that computes its answer. */
export interface FallbackToOptions<R> extends FallbackCommonOptions {
  /**
   * Computes what a failed call resolves with, from the error and the call's context (its signal
   * follows the caller's, so a cache read can stop when the caller gives up). What it throws
   * (or rejects with) is what the call rejects with.
   */
  readonly to: (error: unknown, context: ExecuteContext) => R | PromiseLike<R>;
}

/** Options of {@link fallback}: `{ value }` or `{ to }`, and `when`, `name`. */
export type FallbackOptions<R> = FallbackValueOptions<R> | FallbackToOptions<R>;

/** Events of a {@link FallbackPolicy}. */
export interface FallbackEvents {
  /** A call failed and the fallback answered instead. */
  fallback: {
    /** The policy's name. */
    readonly name: string;
    /** The error the work failed with. */
    readonly error: unknown;
  };
}

/** What {@link FallbackPolicy.stats} reports. */
export interface FallbackStats {
  /** Calls the fallback answered since the policy was made. */
  readonly used: number;
  /** Of those, how many the fallback itself failed (a `to` that threw or rejected). */
  readonly failed: number;
}

/**
 * A policy that answers a failed call with a fallback of type `R`: around work of type `T` it
 * resolves with `T | R`. Made by {@link fallback}. Its `execute` widens the result type, so it is
 * not a plain `Policy`: put it outermost and call it directly (see the example of `fallback`).
 */
export interface FallbackPolicy<R> extends EventSource<FallbackEvents>, Configurable<FallbackSettings<R>> {
  /** What the policy is: `'fallback'`. */
  readonly kind: 'fallback';
  /** The policy's name, as given in its options. */
  readonly name: string;
  /** Runs `fn`; when it fails with an error `when` accepts, resolves with the fallback instead. */
  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T | R>;
  /** Counts since the policy was made. */
  stats(): FallbackStats;
}

const KNOWN_OPTIONS = ['value', 'to', 'when', 'name'] as const;

/**
 * What {@link FallbackPolicy.configure} can change at run time: the answer (`value` or `to`, of
 * the same type `R`, one replacing the other) and `when`.
 */
export type FallbackSettings<R> =
  | {
      /** The new value a failed call resolves with. */
      readonly value: R;
      /** Which errors are answered (default: every error but the caller's abort). */
      readonly when?: ((error: unknown) => boolean) | undefined;
    }
  | {
      /** The new answer, made from the error. */
      readonly to: (error: unknown, context: ExecuteContext) => R | PromiseLike<R>;
      /** Which errors are answered (default: every error but the caller's abort). */
      readonly when?: ((error: unknown) => boolean) | undefined;
    }
  | {
      /** Which errors are answered, the answer kept. */
      readonly when: ((error: unknown) => boolean) | undefined;
    };

interface Settings<R> {
  readonly name: string;
  readonly to: (error: unknown, context: ExecuteContext) => R | PromiseLike<R>;
  readonly when: ((error: unknown) => boolean) | undefined;
}

/** Checks {@link FallbackOptions} once, naming the option, the value and what is valid. @internal */
export function fallbackSettings<R>(options: FallbackOptions<R>): Settings<R> {
  const where = 'fallback';
  checkOptionsObject(where, options);
  if (options === undefined) throw new TypeError(`${where}: options { value } or { to } are required`);
  checkKnownKeys(where, options, KNOWN_OPTIONS);
  const hasValue = Object.hasOwn(options, 'value');
  const hasTo = Object.hasOwn(options, 'to');
  if (hasValue === hasTo) {
    throw new TypeError(
      `${where}: give exactly one of "value" (what a failed call resolves with) or "to" ((error, context) => value); got ${hasValue ? 'both' : 'neither'}`,
    );
  }
  let to: Settings<R>['to'];
  if (hasTo) {
    const given = (options as FallbackToOptions<R>).to;
    if (typeof given !== 'function') {
      throw new TypeError(`${where}: option "to" must be a function (error, context) => value; got ${describe(given)}`);
    }
    to = given;
  } else {
    const value = (options as FallbackValueOptions<R>).value;
    to = () => value;
  }
  return {
    name: nameOption(where, options.name, 'fallback'),
    to,
    when: functionOption<(error: unknown) => boolean>(where, 'when', options.when, '(error) => boolean'),
  };
}

class Fallback<R> implements FallbackPolicy<R> {
  readonly kind = 'fallback' as const;
  readonly name: string;
  #settings: Settings<R>;
  /** The options the settings were made from: `configure` merges over them. */
  #options: FallbackOptions<R>;
  readonly #events = new Emitter<FallbackEvents>();
  #used = 0;
  #failures = 0;

  constructor(options: FallbackOptions<R>, settings: Settings<R>) {
    this.#options = options;
    this.#settings = settings;
    this.name = settings.name;
  }

  configure(options: FallbackSettings<R>): void {
    configureOne(this, options, 'fallback.configure');
  }

  [PREPARE_CONFIGURE](options: unknown): () => void {
    const where = 'fallback.configure';
    checkOptionsObject(where, options);
    checkKnownKeys(where, options ?? {}, ['value', 'to', 'when']);
    const given = (options ?? {}) as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...this.#options };
    // A new answer replaces the old one, whichever form either takes.
    if (Object.hasOwn(given, 'value') || Object.hasOwn(given, 'to')) {
      delete merged.value;
      delete merged.to;
    }
    Object.assign(merged, given);
    const next = fallbackSettings(merged as unknown as FallbackOptions<R>);
    return () => {
      this.#options = merged as unknown as FallbackOptions<R>;
      this.#settings = next;
    };
  }

  on<K extends keyof FallbackEvents>(event: K, listener: (payload: FallbackEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  stats(): FallbackStats {
    return { used: this.#used, failed: this.#failures };
  }

  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T | R> {
    const caller = options?.signal;
    if (caller?.aborted) return Promise.reject(abortReason(caller));
    const context = passThroughContext(caller, options?.attempt ?? 1);
    let result: T | PromiseLike<T>;
    try {
      result = fn(context);
    } catch (err) {
      return this.#answer(err, context, caller);
    }
    if (!isThenable(result)) return Promise.resolve(result);
    const settled = caller === undefined ? Promise.resolve(result) : untilAborted(result, caller);
    return settled.then(undefined, (err: unknown) => this.#answer(err, context, caller));
  }

  #answer(error: unknown, context: ExecuteContext, caller: AbortSignal | undefined): Promise<R> {
    // The caller gave up: a fallback answer would go to nobody, and must not look like success.
    if (caller?.aborted) return Promise.reject(error);
    const { when, to } = this.#settings;
    if (when !== undefined) {
      let answers = false;
      try {
        answers = when(error) === true;
      } catch {
        // A broken predicate must not hide the real failure.
      }
      if (!answers) return Promise.reject(error);
    }
    this.#used++;
    if (this.#events.listening('fallback')) this.#events.emit('fallback', { name: this.name, error });
    let answer: R | PromiseLike<R>;
    try {
      answer = to(error, context);
    } catch (err) {
      this.#failures++;
      return Promise.reject(err);
    }
    if (!isThenable(answer)) return Promise.resolve(answer);
    const settled = caller === undefined ? Promise.resolve(answer) : untilAborted(answer, caller);
    return settled.then(undefined, (err: unknown) => {
      this.#failures++;
      throw err;
    });
  }
}

/**
 * A policy that answers a failed call with a fallback: a fixed `value`, or what `to(error,
 * context)` computes (a cached copy, a default, a degraded answer). Around work of type `T` with a
 * fallback of type `R`, a call resolves with `T | R`: the types stay exact. By default it answers
 * every error except the caller's own abort (nobody is left to read the answer); `when` narrows
 * that. Put it outermost, around the rest of the pipeline, so it answers whatever the pipeline
 * gives up with.
 *
 * @example
 * ```ts
 * import { compose } from 'bulwark';
 * import { circuitBreaker } from 'bulwark/breaker';
 * import { fallback } from 'bulwark/fallback';
 * import { timeout } from 'bulwark/timeout';
 *
 * interface Price { readonly sku: string; readonly cents: number; readonly stale?: boolean }
 * const lastKnown = new Map<string, Price>();
 *
 * const pipeline = compose(circuitBreaker({ name: 'prices' }), timeout(800));
 * const orCached = fallback({
 *   to: () => ({ ...(lastKnown.get('sku-1') ?? { sku: 'sku-1', cents: 0 }), stale: true }),
 * });
 *
 * // Price | { stale: boolean; sku: string; cents: number }
 * const price = await orCached.execute(({ signal }) =>
 *   pipeline.execute(async (inner) => {
 *     const res = await fetch('https://prices.example.com/sku-1', { signal: inner.signal });
 *     return (await res.json()) as Price;
 *   }, { signal }),
 * );
 * console.log(price.cents);
 * ```
 */
export function fallback<R>(options: FallbackOptions<R>): FallbackPolicy<R> {
  return new Fallback(options, fallbackSettings(options));
}
