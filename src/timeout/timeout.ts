import { abortOwned, abortReason, canAbort, isAborted, onAbort, ownedController } from '../core/abort.js';
import { ignoreLate } from '../core/attempt.js';
import type { Clock } from '../core/clock.js';
import { type Configurable, configureOne, PREPARE_CONFIGURE, SettingsHistory } from '../core/configure.js';
import { LazyContext, type SignalOwner } from '../core/context.js';
import { describe, TimeoutError } from '../core/errors.js';
import {
  type FailureTaker,
  type Gate,
  IN_PIPELINE,
  type OutcomeObserver,
  offerGate,
  settledGate,
} from '../core/gate.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import { checkKnownKeys, checkOptionsObject, clockOption, msOption, nameOption } from '../core/options.js';
import { type ExecuteOptions, isThenable, type Policy, type Rest, runWork, type Work } from '../core/policy.js';
import { type ClockTimer, clockTimer, Deadline, Lane } from './deadlines.js';

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

/** What {@link TimeoutPolicy.configure} can change at run time. */
export interface TimeoutSettings {
  /** The new time limit in milliseconds, for calls that start afterwards. */
  readonly ms?: number | undefined;
}

/** A {@link Policy} that limits how long each call may take. Made by {@link timeout}. */
export interface TimeoutPolicy extends Policy, EventSource<TimeoutEvents>, Configurable<TimeoutSettings> {
  readonly kind: 'timeout';
  /** The time limit in milliseconds (the current one, after any `configure`). */
  readonly ms: number;
  /** The policy's name, as given in its options. */
  readonly name: string;
}

const KNOWN_OPTIONS = ['ms', 'name', 'clock'] as const;
const CONFIGURABLE = ['ms'] as const;

/** What every call of one policy shares: one object, so a call holds one reference to it. */
interface Shared {
  readonly ms: number;
  readonly name: string;
  readonly events: Emitter<TimeoutEvents>;
}

function noop(): void {}

/** Why a call's work was aborted before it read its signal (the signal made later gets it). */
class AbortedBeforeRead {
  readonly reason: unknown;
  constructor(reason: unknown) {
    this.reason = reason;
  }
}

/**
 * One call in flight: its place in the clock's deadline queue and what settles it. Whichever
 * comes first, the work's outcome, the deadline or the caller's abort, takes it out of the queue;
 * the others then find it gone and do nothing. The work's signal is made when the work first
 * reads it (`workSignal`); aborted before that, the call keeps the reason, and a later read gets
 * a signal already aborted with it.
 */
class TimedCall<T> extends Deadline implements SignalOwner, Gate {
  /**
   * The work's signal: its controller once the work read it, or why the work was aborted before
   * it did (one field for both: a call in flight holds as little as it can).
   */
  work: AbortController | AbortedBeforeRead | undefined = undefined;
  resolve: (value: T) => void = noop;
  /** Stops following the caller's signal (a no-op without one). */
  detach: () => void = noop;
  /** In a pipeline: the breaker around, told of the outcome before the call settles. */
  observer: OutcomeObserver | undefined = undefined;
  /** In a pipeline: the retry around, which takes a failure over. */
  taker: FailureTaker | undefined = undefined;

  workSignal(): AbortSignal {
    const before = this.work;
    const controller = ownedController();
    this.work = controller;
    if (before instanceof AbortedBeforeRead) abortOwned(controller, before.reason);
    return controller.signal;
  }

  abortWork(reason: unknown): void {
    const work = this.work;
    if (work === undefined) this.work = new AbortedBeforeRead(reason);
    else if (!(work instanceof AbortedBeforeRead)) abortOwned(work, reason);
  }

  observe(observer: OutcomeObserver): boolean {
    // An observer sees the outcome of this attempt: it must sit inside any retry that took over.
    if (this.observer !== undefined || this.taker !== undefined || this.lane === undefined) return false;
    this.observer = observer;
    return true;
  }

  takeFailure(taker: FailureTaker): boolean {
    if (this.taker !== undefined || this.lane === undefined) return false;
    this.taker = taker;
    return true;
  }

  fulfil(value: T): void {
    if (this.lane === undefined) return;
    this.lane.remove(this);
    this.detach();
    const observer = this.observer;
    if (observer === undefined) {
      this.resolve(value);
      return;
    }
    settledGate(this);
    try {
      observer.succeeded(value);
    } catch (err) {
      // What a breaker's own reaction would have turned into its rejection.
      this.#handOn(err);
      return;
    }
    this.resolve(value);
  }

  fail(error: unknown): void {
    if (this.lane === undefined) return;
    this.lane.remove(this);
    this.detach();
    this.#failed(error);
  }

  /** Reaches the work at once, even during its synchronous part; settles the call if it waits. */
  callerAborted(reason: unknown): void {
    this.abortWork(reason);
    if (this.lane === undefined) return;
    this.lane.remove(this);
    this.#failed(reason);
  }

  /** Rejects the call, or in a pipeline tells the breaker around and lets a retry around take over. */
  #failed(error: unknown): void {
    if (this.observer === undefined && this.taker === undefined) {
      this.resolve(rejection(error));
      return;
    }
    settledGate(this);
    let outcome = error;
    try {
      this.observer?.failed(error);
    } catch (err) {
      outcome = err;
    }
    this.#handOn(outcome);
  }

  #handOn(error: unknown): void {
    const taker = this.taker;
    if (taker === undefined) {
      this.resolve(rejection(error));
      return;
    }
    try {
      this.resolve(taker.takeOver(error) as T);
    } catch (err) {
      this.resolve(rejection(err));
    }
  }

  expire(lane: Lane): void {
    this.detach();
    const { ms, name, events } = lane.owner as Shared;
    // Created only now: an Error's stack costs more than the rest of a successful call.
    const error = new TimeoutError(undefined, { timeoutMs: ms });
    this.abortWork(error);
    if (events.listening('timeout')) events.emit('timeout', { name, ms });
    this.#failed(error);
  }
}

/**
 * The call whose promise is being made. A promise's executor runs synchronously, so one shared
 * executor hands the call its resolvers with no closure made per call.
 */
let capturing: TimedCall<unknown> | undefined;
type Executor<T> = (resolve: (value: T) => void, reject: (reason: unknown) => void) => void;
function capture(resolve: (value: unknown) => void): void {
  const call = capturing as TimedCall<unknown>;
  capturing = undefined;
  call.resolve = resolve;
}

/**
 * Follows the caller's signal. A function of its own: a closure made in `execute` would cost an
 * allocation on every call (its captured variables), even on calls without a caller.
 */
function follow<T>(caller: AbortSignal, call: TimedCall<T>): () => void {
  return onAbort(caller, (reason) => call.callerAborted(reason));
}

/**
 * A thenable that rejects: resolving a call's promise with it rejects the promise. A call keeps
 * only its `resolve` (the promise's `reject` is a second function, about 70 B per call in flight),
 * and a call rejects only on the slow paths (deadline, failure, caller's abort), where one small
 * object and a microtask more cost nothing that matters.
 */
class Rejection {
  readonly #reason: unknown;
  constructor(reason: unknown) {
    this.#reason = reason;
  }
  // biome-ignore lint/suspicious/noThenProperty: a thenable is the point
  then(_: unknown, reject: (reason: unknown) => void): void {
    reject(this.#reason);
  }
}
function rejection<T>(reason: unknown): T {
  return new Rejection(reason) as never;
}

/** The settings of one epoch: a new limit is a new lane, and calls in flight stay in theirs. */
interface Settings {
  readonly shared: Shared;
  readonly lane: Lane;
}

class Timeout implements TimeoutPolicy {
  readonly kind = 'timeout' as const;
  readonly name: string;
  readonly #events = new Emitter<TimeoutEvents>();
  readonly #timer: ClockTimer;
  readonly #settings: SettingsHistory<Settings>;

  constructor(ms: number, name: string, clock: Clock) {
    this.name = name;
    this.#timer = clockTimer(clock);
    this.#settings = new SettingsHistory(this.#settingsFor(ms));
  }

  get ms(): number {
    return this.#settings.current.shared.ms;
  }

  on<K extends keyof TimeoutEvents>(event: K, listener: (payload: TimeoutEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  configure(options: TimeoutSettings): void {
    configureOne(this, options, 'timeout.configure');
  }

  [PREPARE_CONFIGURE](options: unknown): (epoch: number) => void {
    const where = 'timeout.configure';
    checkOptionsObject(where, options);
    checkKnownKeys(where, options ?? {}, CONFIGURABLE);
    const given = (options as TimeoutSettings | undefined)?.ms;
    const ms = given === undefined ? this.ms : msOption(where, 'ms', given);
    return (epoch) => this.#settings.set(this.#settingsFor(ms), epoch);
  }

  #settingsFor(ms: number): Settings {
    const shared: Shared = { ms, name: this.name, events: this.#events };
    return { shared, lane: new Lane(ms, this.#timer, shared) };
  }

  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T> {
    return this.#run(fn, options, false, undefined);
  }

  /** In `compose`: the same call, whose promise is left on offer to the policy around (core/gate.ts). */
  [IN_PIPELINE]<T>(fn: Work<T>, options: ExecuteOptions | undefined, rest: Rest | undefined): Promise<T> {
    return this.#run(fn, options, true, rest);
  }

  #run<T>(fn: Work<T>, options: ExecuteOptions | undefined, pipeline: boolean, rest: Rest | undefined): Promise<T> {
    const caller = options?.signal;
    if (isAborted(caller)) return Promise.reject(abortReason(caller as AbortSignal));
    const { lane } = this.#settings.at(options?.since);
    const call = new TimedCall<T>();
    // Followed from before the work starts: an abort during its synchronous part reaches its
    // signal at once, and the call rejects with the caller's reason (docs/core.md).
    if (caller !== undefined && canAbort(caller)) call.detach = follow(caller, call);
    let result: T | PromiseLike<T>;
    try {
      result = runWork(fn, rest, new LazyContext(options?.attempt ?? 1, call));
    } catch (err) {
      call.detach();
      return Promise.reject(caller?.aborted ? abortReason(caller) : err);
    }
    if (isAborted(caller)) {
      ignoreLate(result);
      return Promise.reject(abortReason(caller as AbortSignal));
    }
    // Work that finished synchronously cannot be late: no deadline, no race.
    if (!isThenable(result)) {
      call.detach();
      return Promise.resolve(result);
    }
    capturing = call as TimedCall<unknown>;
    const promise = new Promise<T>(capture as Executor<T>);
    lane.add(call);
    // Bound methods: two objects held while the call is in flight, where two closures and the
    // scope they share are three (about 50 bytes more per call, the same time).
    result.then(call.fulfil.bind(call), call.fail.bind(call));
    if (pipeline) offerGate(promise, call);
    return promise;
  }
}

/**
 * A policy that fails a call with a `TimeoutError` when it takes longer than `ms`, and aborts
 * the signal it handed the work, so the work stops too (pass `signal` on to `fetch`, a database
 * driver, a child process). Every timeout on one clock shares one real timer, armed for the
 * earliest deadline; a call leaves that queue whatever happens, without a timer call. A result
 * that arrives after the timeout is dropped without an unhandled rejection; a caller's abort
 * rejects at once with the caller's reason. Bad options throw at construction, never at the
 * first call.
 *
 * `configure({ ms })` changes the limit for calls that start afterwards; calls in flight keep
 * their deadline.
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
