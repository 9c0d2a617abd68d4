import pTimeout from 'p-timeout';
import { abortOwned, abortReason, ownedController } from '../core/abort.js';
import { followCaller } from '../core/attempt.js';
import type { Clock } from '../core/clock.js';
import { describe, TimeoutError } from '../core/errors.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import { checkKnownKeys, checkOptionsObject, clockOption, msOption, nameOption } from '../core/options.js';
import { type ExecuteOptions, isThenable, type Policy, type Work } from '../core/policy.js';

/** Options of {@link timeout}. */
export interface TimeoutOptions {
  /** The time limit in milliseconds: greater than 0, at most 2^31 - 1. */
  readonly ms: number;
  /** Names the policy in events and metrics (default `'timeout'`). */
  readonly name?: string | undefined;
  /** Where time comes from (default: the system clock); pass a `FakeClock` in tests. */
  readonly clock?: Clock | undefined;
}

/** Events of a {@link TimeoutPolicy}. */
export interface TimeoutEvents {
  /** Time ran out: the work's signal was aborted and the call rejected with a `TimeoutError`. */
  timeout: {
    /** The policy's name. */
    readonly name: string;
    /** The limit that ran out, in milliseconds. */
    readonly ms: number;
  };
}

/** A {@link Policy} that limits how long each call may take. Made by {@link timeout}. */
export interface TimeoutPolicy extends Policy, EventSource<TimeoutEvents> {
  readonly kind: 'timeout';
  /** The time limit in milliseconds. */
  readonly ms: number;
  /** The policy's name, as given in its options. */
  readonly name: string;
}

const KNOWN_OPTIONS = ['ms', 'name', 'clock'] as const;

type Timers = { setTimeout: typeof globalThis.setTimeout; clearTimeout: typeof globalThis.clearTimeout };

class Timeout implements TimeoutPolicy {
  readonly kind = 'timeout' as const;
  readonly ms: number;
  readonly name: string;
  readonly #events = new Emitter<TimeoutEvents>();
  readonly #timers: Timers;

  constructor(ms: number, name: string, clock: Clock) {
    this.ms = ms;
    this.name = name;
    // p-timeout calls the timers detached from their object; a Clock's methods may need `this`.
    this.#timers = {
      setTimeout: ((cb: () => void, delay: number) => clock.setTimeout(cb, delay)) as unknown as Timers['setTimeout'],
      clearTimeout: ((handle: unknown) => clock.clearTimeout(handle)) as Timers['clearTimeout'],
    };
  }

  on<K extends keyof TimeoutEvents>(event: K, listener: (payload: TimeoutEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T> {
    const caller = options?.signal;
    if (caller?.aborted) return Promise.reject(abortReason(caller));
    const controller = ownedController();
    let result: T | PromiseLike<T>;
    try {
      result = fn({ signal: controller.signal, attempt: options?.attempt ?? 1 });
    } catch (err) {
      return Promise.reject(err);
    }
    // Work that finished synchronously cannot be late: no timer, no race.
    if (!isThenable(result)) return Promise.resolve(result);
    // With a caller, its abort settles the race at once (and reaches the work) through the input.
    const input = caller === undefined ? result : followCaller(result, caller, controller);
    return pTimeout(input, {
      milliseconds: this.ms,
      customTimers: this.#timers,
      fallback: (): never => {
        // Created only now: an Error's stack costs more than the rest of a successful call.
        const error = new TimeoutError(undefined, { timeoutMs: this.ms });
        abortOwned(controller, error);
        this.#events.emit('timeout', { name: this.name, ms: this.ms });
        throw error;
      },
    });
  }
}

/**
 * A policy that fails a call with a `TimeoutError` when it takes longer than `ms`, and aborts
 * the signal it handed the work, so the work stops too (pass `signal` on to `fetch`, a database
 * driver, a child process). The timer is cleared whatever happens; a result that arrives after
 * the timeout is dropped without an unhandled rejection; a caller's abort rejects at once with
 * the caller's reason. Bad options throw at construction, never at the first call.
 *
 * @param msOrOptions - The limit in milliseconds, or {@link TimeoutOptions}.
 *
 * @example
 * ```ts
 * import { timeout } from 'bulwark/timeout';
 *
 * const limit = timeout(2000);
 * limit.on('timeout', ({ ms }) => console.warn(`upstream slower than ${ms} ms`));
 *
 * const res = await limit.execute(({ signal }) => fetch('https://api.example.com/items', { signal }));
 * ```
 */
export function timeout(msOrOptions: number | TimeoutOptions): TimeoutPolicy {
  const where = 'timeout';
  if (typeof msOrOptions === 'object' && msOrOptions !== null) {
    checkOptionsObject(where, msOrOptions);
    checkKnownKeys(where, msOrOptions, KNOWN_OPTIONS);
    const ms = msOption(where, 'ms', msOrOptions.ms);
    return new Timeout(ms, nameOption(where, msOrOptions.name, 'timeout'), clockOption(where, msOrOptions.clock));
  }
  if (typeof msOrOptions !== 'number') {
    throw new RangeError(
      `${where}: expected a number of milliseconds or an options object { ms, name?, clock? }; got ${describe(msOrOptions)}`,
    );
  }
  return new Timeout(msOption(where, 'ms', msOrOptions), 'timeout', clockOption(where, undefined));
}
