import { abortOwned, abortReason, onAbort, ownedController } from '../core/abort.js';
import type { Clock } from '../core/clock.js';
import { type Configurable, configureOne, PREPARE_CONFIGURE } from '../core/configure.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import { checkKnownKeys, checkOptionsObject, clockOption, intOption, msOption, nameOption } from '../core/options.js';
import { type ExecuteContext, type ExecuteOptions, isThenable, type Policy, type Work } from '../core/policy.js';
import { LaunchQueue, type Scheduled } from './queue.js';

/** Options of {@link hedge}. */
export interface HedgeOptions {
  /** How long an attempt may run before another one starts beside it, in ms (0: all at once). */
  readonly delayMs: number;
  /** Attempts at most, the first included (default 2): a whole number from 1 to 10. */
  readonly maxAttempts?: number | undefined;
  /** Names the policy in events and metrics (default `'hedge'`). */
  readonly name?: string | undefined;
  /** Where time comes from (default: the system clock); pass a `FakeClock` in tests. */
  readonly clock?: Clock | undefined;
}

/** Events of a {@link HedgePolicy}. */
export interface HedgeEvents {
  /** An attempt had not settled after `delayMs`, so another started beside it. */
  hedge: {
    /** The policy's name. */
    readonly name: string;
    /** Which attempt started: 2 for the first hedge. */
    readonly attempt: number;
  };
  /** A hedge (not the first attempt) succeeded first: the others were aborted. */
  won: {
    /** The policy's name. */
    readonly name: string;
    /** Which attempt won: 2 or more. */
    readonly attempt: number;
  };
}

/** What {@link HedgePolicy.stats} reports. */
export interface HedgeStats {
  /** Calls made since the policy was made. */
  readonly calls: number;
  /** Extra attempts started (hedges). */
  readonly hedges: number;
  /** Calls a hedge won (it succeeded before the first attempt). */
  readonly won: number;
}

/** What {@link HedgePolicy.configure} can change at run time. */
export type HedgeSettings = Pick<Partial<HedgeOptions>, 'delayMs' | 'maxAttempts'>;

/** A {@link Policy} that races a slow call against fresh attempts. Made by {@link hedge}. */
export interface HedgePolicy extends Policy, EventSource<HedgeEvents>, Configurable<HedgeSettings> {
  readonly kind: 'hedge';
  /** The policy's name, as given in its options. */
  readonly name: string;
  /** The delay before each further attempt, in ms. */
  readonly delayMs: number;
  /** Attempts at most, the first included. */
  readonly maxAttempts: number;
  /** Counts since the policy was made. */
  stats(): HedgeStats;
}

const KNOWN_OPTIONS = ['delayMs', 'maxAttempts', 'name', 'clock'] as const;

interface Settings {
  readonly delayMs: number;
  readonly maxAttempts: number;
  readonly name: string;
  readonly clock: Clock;
}

/** Checks {@link HedgeOptions} once, naming the option, the value and what is valid. @internal */
export function hedgeSettings(options: HedgeOptions): Settings {
  const where = 'hedge';
  checkOptionsObject(where, options);
  if (options === undefined) throw new TypeError(`${where}: options { delayMs } are required`);
  checkKnownKeys(where, options, KNOWN_OPTIONS);
  return {
    delayMs: msOption(where, 'delayMs', options.delayMs, true),
    maxAttempts: intOption(where, 'maxAttempts', options.maxAttempts, 2, 1, 10),
    name: nameOption(where, options.name, 'hedge'),
    clock: clockOption(where, options.clock),
  };
}

/** Why a losing attempt's signal aborts: another attempt already succeeded. */
function lostReason(name: string): DOMException {
  return new DOMException(`hedge "${name}": another attempt succeeded first`, 'AbortError');
}

/**
 * One attempt, and the context its work receives. Its controller is made when the work reads
 * the signal (creating an AbortController costs more than the rest of a hedged call); an attempt
 * aborted before then hands out an aborted signal if it is ever read.
 */
class Attempt implements ExecuteContext {
  readonly attempt: number;
  #controller: AbortController | undefined;
  #aborted: { reason: unknown } | undefined;

  constructor(attempt: number) {
    this.attempt = attempt;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = ownedController();
      if (this.#aborted !== undefined) abortOwned(this.#controller, this.#aborted.reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#controller !== undefined) abortOwned(this.#controller, reason);
    else this.#aborted ??= { reason };
  }
}

/** One call: its attempts, and how it settles. Its next attempt is scheduled by the policy. */
class Race<T> implements Scheduled {
  readonly #shared: Shared;
  /** The settings in force when the call started, kept for its whole life. */
  readonly #queue: LaunchQueue;
  readonly #maxAttempts: number;
  readonly #fn: Work<T>;
  readonly #attempt: number;
  readonly #resolve: (value: T) => void;
  readonly #reject: (reason: unknown) => void;
  readonly #attempts: Attempt[] = [];
  #running = 0;
  #firstError: { error: unknown } | undefined;
  #detachCaller: () => void = noop;
  /** When the next attempt is due (clock time), while the race waits in the policy's queue. */
  due = 0;
  queued = false;
  settled = false;

  constructor(shared: Shared, fn: Work<T>, attempt: number, resolve: (v: T) => void, reject: (r: unknown) => void) {
    this.#shared = shared;
    this.#queue = shared.queue;
    this.#maxAttempts = shared.maxAttempts;
    this.#fn = fn;
    this.#attempt = attempt;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(caller: AbortSignal | undefined): void {
    if (caller !== undefined) this.#detachCaller = onAbort(caller, (reason) => this.#finish(false, reason, -1));
    this.launch();
  }

  /** Starts the next attempt; the policy calls it again when the attempt is still out after delayMs. */
  launch(): void {
    const shared = this.#shared;
    const index = this.#attempts.length;
    const context = new Attempt(this.#attempt);
    this.#attempts.push(context);
    this.#running++;
    if (index > 0) shared.hedged(index + 1);
    if (this.#attempts.length < this.#maxAttempts) this.#queue.schedule(this);
    let result: T | PromiseLike<T>;
    try {
      result = this.#fn(context);
    } catch (err) {
      this.#failed(err);
      return;
    }
    if (!isThenable(result)) {
      this.#finish(true, result, index);
      return;
    }
    result.then(
      (value) => this.#finish(true, value, index),
      (err: unknown) => this.#failed(err),
    );
  }

  #failed(error: unknown): void {
    if (this.settled) return;
    this.#firstError ??= { error };
    this.#running--;
    // A failure is no reason to hedge (that is retry's job): once every attempt started so far
    // has failed, the call fails with the first error.
    if (this.#running === 0) this.#finish(false, this.#firstError.error, -1);
  }

  #finish(ok: boolean, outcome: unknown, winner: number): void {
    if (this.settled) return;
    this.settled = true;
    this.#detachCaller();
    this.#queue.unschedule(this);
    // Every attempt but the winner stops: losers after a success, all of them on the caller's abort.
    const attempts = this.#attempts;
    if (attempts.length > 1 || winner === -1) {
      // Made only when some attempt lost: a DOMException costs more than the rest of a call.
      const reason = ok ? lostReason(this.#shared.name) : outcome;
      attempts.forEach((attempt, i) => {
        if (i !== winner) attempt.abort(reason);
      });
    }
    if (ok) {
      if (winner > 0) this.#shared.wonBy(winner + 1);
      this.#resolve(outcome as T);
    } else {
      this.#reject(outcome);
    }
  }
}

function noop(): void {}

/** What the calls of one policy share: its settings, its launch queue, its counters and listeners. */
class Shared {
  readonly name: string;
  readonly clock: Clock;
  delayMs: number;
  maxAttempts: number;
  queue: LaunchQueue;
  readonly events = new Emitter<HedgeEvents>();
  calls = 0;
  hedges = 0;
  won = 0;

  constructor(settings: Settings) {
    this.name = settings.name;
    this.clock = settings.clock;
    this.delayMs = settings.delayMs;
    this.maxAttempts = settings.maxAttempts;
    this.queue = new LaunchQueue(settings.clock, settings.delayMs);
  }

  /** New settings for calls that start from now; calls in flight keep their queue and cap. */
  retune(delayMs: number, maxAttempts: number): void {
    if (delayMs !== this.delayMs) this.queue = new LaunchQueue(this.clock, delayMs);
    this.delayMs = delayMs;
    this.maxAttempts = maxAttempts;
  }

  hedged(attempt: number): void {
    this.hedges++;
    if (this.events.listening('hedge')) this.events.emit('hedge', { name: this.name, attempt });
  }

  wonBy(attempt: number): void {
    this.won++;
    if (this.events.listening('won')) this.events.emit('won', { name: this.name, attempt });
  }
}

class Hedge implements HedgePolicy {
  readonly kind = 'hedge' as const;
  readonly name: string;
  readonly #shared: Shared;
  /** The options the settings were made from: `configure` merges over them. */
  #options: HedgeOptions;

  constructor(options: HedgeOptions, settings: Settings) {
    this.name = settings.name;
    this.#options = options;
    this.#shared = new Shared(settings);
  }

  get delayMs(): number {
    return this.#shared.delayMs;
  }

  get maxAttempts(): number {
    return this.#shared.maxAttempts;
  }

  configure(options: HedgeSettings): void {
    configureOne(this, options, 'hedge.configure');
  }

  [PREPARE_CONFIGURE](options: unknown): () => void {
    const where = 'hedge.configure';
    checkOptionsObject(where, options);
    checkKnownKeys(where, options ?? {}, ['delayMs', 'maxAttempts']);
    const merged: HedgeOptions = { ...this.#options, ...(options as HedgeSettings) };
    const next = hedgeSettings(merged);
    return () => {
      this.#options = merged;
      this.#shared.retune(next.delayMs, next.maxAttempts);
    };
  }

  on<K extends keyof HedgeEvents>(event: K, listener: (payload: HedgeEvents[K]) => void): () => void {
    return this.#shared.events.on(event, listener);
  }

  stats(): HedgeStats {
    const { calls, hedges, won } = this.#shared;
    return { calls, hedges, won };
  }

  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T> {
    const caller = options?.signal;
    if (caller?.aborted) return Promise.reject(abortReason(caller));
    this.#shared.calls++;
    return new Promise<T>((resolve, reject) => {
      new Race(this.#shared, fn, options?.attempt ?? 1, resolve, reject).start(caller);
    });
  }
}

/**
 * A policy that hedges a slow call: when an attempt has not settled after `delayMs`, another
 * starts beside it (up to `maxAttempts` in all). The first success wins and every other attempt's
 * signal aborts; if every attempt fails, the call rejects with the first error. A failure starts
 * no new attempt (compose a retry around the hedge for that). The caller's abort stops every
 * attempt at once.
 *
 * **Only idempotent work may be hedged**: two attempts can both reach the server and both take
 * effect (a charge made twice, a message sent twice). Hedge reads, and writes that carry an
 * idempotency key the server honours.
 *
 * @example
 * ```ts
 * import { hedge } from 'bulwark/hedge';
 *
 * // Past the usual p95 (about 120 ms), ask a second replica instead of waiting on the first.
 * const search = hedge({ name: 'search', delayMs: 120 });
 * search.on('won', ({ attempt }) => console.log(`attempt ${attempt} answered first`));
 *
 * const res = await search.execute(({ signal }) => fetch('https://search.example.com/q?term=boots', { signal }));
 * console.log(res.status);
 * ```
 */
export function hedge(options: HedgeOptions): HedgePolicy {
  return new Hedge(options, hedgeSettings(options));
}
