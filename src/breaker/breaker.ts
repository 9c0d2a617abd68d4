import { abortReason, canAbort, INERT_SIGNAL, isAborted, onAbort } from '../core/abort.js';
import { ignoreLate } from '../core/attempt.js';
import { type BackoffOption, isBackoffOption, nextDelay } from '../core/backoff.js';
import { httpStatusOf, isRetryable } from '../core/classify.js';
import type { Clock } from '../core/clock.js';
import { type Configurable, configureOne, PREPARE_CONFIGURE } from '../core/configure.js';
import { CircuitOpenError, describe, RejectedError, rejectSoon, withoutStack } from '../core/errors.js';
import { gateOf, IN_PIPELINE, type OutcomeObserver } from '../core/gate.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import { markOpenedBreaker } from '../core/opened.js';
import {
  checkKnownKeys,
  checkOptionsObject,
  clockOption,
  functionOption,
  intOption,
  MAX_TIMER_MS,
  msOption,
  nameOption,
} from '../core/options.js';
import {
  type ExecuteContext,
  type ExecuteOptions,
  isThenable,
  type Policy,
  type Rest,
  runWork,
  type Work,
  workOf,
} from '../core/policy.js';
import {
  type SharedBreakerOptions,
  type SharedBreakerStats,
  SharedCircuit,
  type SharedHost,
  type SharedSettings,
  sharedSettings,
} from './shared.js';
import { type CircuitBreakerSnapshot, checkSnapshot, SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './snapshot.js';
import { consecutiveFailures, createWindow, isTripRule, type OutcomeWindow, type TripRule } from './trip.js';

/** Where a breaker is. `'isolated'`: held open by `isolate()` until released. */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/** Why a breaker changed state. */
export type StateChangeReason =
  | 'tripped'
  | 'timer'
  | 'probe-succeeded'
  | 'probe-failed'
  | 'probe-timeout'
  | 'isolated'
  | 'released'
  | 'reset'
  | 'shared';

/** Options of `halfOpen`. */
export interface HalfOpenOptions {
  /** Calls let through at a time to test the dependency (default 1). */
  readonly probes?: number | undefined;
  /** Probe successes that close the breaker (default `probes`); one failure reopens it. */
  readonly successesToClose?: number | undefined;
  /** A probe running longer than this counts as failed, so half-open never hangs (default `openMs`). */
  readonly probeTimeoutMs?: number | undefined;
}

/** Options of `slowCall`: slow calls form a rate that trips the breaker like failures do. */
export interface SlowCallOptions {
  /** A call taking at least this many ms is slow. */
  readonly thresholdMs: number;
  /** Share of slow calls in the window, above 0 and at most 1, that opens the breaker. */
  readonly rate: number;
}

/**
 * Options of {@link circuitBreaker}. `R` is the type the work returns, as `isResultFailure` reads
 * it: inferred from that predicate's parameter, e.g. `(res: Response) => res.status >= 500`.
 */
export interface CircuitBreakerOptions<R = unknown> {
  /** Names the breaker in errors, events and metrics (default `'default'`). */
  readonly name?: string | undefined;
  /** When a closed breaker opens (default `consecutiveFailures(5)`). */
  readonly trip?: TripRule | undefined;
  /** With a `failureRate` trip rule: a slow-call rate that also opens it. */
  readonly slowCall?: SlowCallOptions | undefined;
  /** How long it stays open before probing, in ms (default 60000). Not with `openBackoff`. */
  readonly openMs?: number | undefined;
  /** Open time as a function of how many times in a row it opened, or a backoff. Not with `openMs`. */
  readonly openBackoff?: BackoffOption | undefined;
  /** How the dependency is probed when the open time is over. */
  readonly halfOpen?: HalfOpenOptions | undefined;
  /**
   * Which errors count as failures. Default: what `isRetryable` accepts, except an HTTP 429 and a
   * refusal by another policy (`RejectedError`): permanent errors, rate limiting and our own
   * refusals pass through uncounted.
   */
  readonly isFailure?: ((error: unknown) => boolean) | undefined;
  /**
   * Which returned values count as failures, e.g. `(res: Response) => res.status >= 500`. The call
   * still resolves with the value. The same predicate fits `retry`'s `isResultFailure`.
   */
  readonly isResultFailure?: ((value: R) => boolean) | undefined;
  /** A snapshot from `toJSON()` to start from, e.g. saved before a restart. */
  readonly initialState?: CircuitBreakerSnapshot | undefined;
  /** Where time comes from (default: the system clock). */
  readonly clock?: Clock | undefined;
  /** Source of jitter for `openBackoff`, returning [0, 1) (default `Math.random`). */
  readonly random?: (() => number) | undefined;
  /** Share the breaker with other replicas through a store (see docs/redis.md). */
  readonly shared?: SharedBreakerOptions | undefined;
}

/** Events of a {@link CircuitBreaker}. */
export interface CircuitBreakerEvents {
  /** The breaker moved from one state to another. */
  stateChange: {
    /** The breaker's name. */
    readonly name: string;
    /** The state it left. */
    readonly from: CircuitState;
    /** The state it entered. */
    readonly to: CircuitState;
    /** Why. */
    readonly reason: StateChangeReason;
  };
  /** A call succeeded. */
  success: {
    /** The breaker's name. */
    readonly name: string;
    /** How long the call took. */
    readonly durationMs: number;
  };
  /** A call failed and was counted: `error` is what it threw, or the value `isResultFailure` refused. */
  failure: {
    /** The breaker's name. */
    readonly name: string;
    /** The error, or the refused value. */
    readonly error: unknown;
    /** How long the call took. */
    readonly durationMs: number;
  };
  /** A call was refused without running. */
  rejected: {
    /** The breaker's name. */
    readonly name: string;
    /** Milliseconds until the breaker lets a probe through. */
    readonly retryAfterMs: number;
  };
  /** A call failed in a way that does not count: a permanent error, or the caller's abort. */
  ignored: {
    /** The breaker's name. */
    readonly name: string;
    /** What it threw. */
    readonly error: unknown;
    /** How long the call took. */
    readonly durationMs: number;
  };
}

/** What `stats()` reports. */
export interface CircuitBreakerStats {
  /** The current state. */
  readonly state: CircuitState;
  /** Calls in the window (since the last close, for `consecutiveFailures`). */
  readonly calls: number;
  /** Failures in the window (the current run of failures, for `consecutiveFailures`). */
  readonly failures: number;
  /** Slow calls in the window. */
  readonly slowCalls: number;
  /** Calls refused since the breaker was made or last reset. */
  readonly rejected: number;
  /** `failures / calls`, 0 when there were no calls. */
  readonly failureRate: number;
  /** `slowCalls / calls`, 0 when there were no calls. */
  readonly slowCallRate: number;
  /** Clock time it last opened; undefined when it has not opened since it last closed. */
  readonly openedAt: number | undefined;
  /** Milliseconds until it lets a probe through; 0 unless open. */
  readonly retryAfterMs: number;
  /** With `shared`: the fleet's state as this replica last heard it. */
  readonly shared?: SharedBreakerStats | undefined;
}

/** What {@link CircuitBreaker.configure} can change at run time: every option but `name`, `clock`, `initialState` and `shared`. */
export type CircuitBreakerSettings = Omit<CircuitBreakerOptions, 'name' | 'clock' | 'initialState' | 'shared'>;

/**
 * A circuit breaker: a {@link Policy} that fails fast while a dependency is down and probes it
 * back to health. Made by {@link circuitBreaker}.
 */
export interface CircuitBreaker
  extends Policy,
    EventSource<CircuitBreakerEvents>,
    Configurable<CircuitBreakerSettings> {
  readonly kind: 'breaker';
  /** The breaker's name. */
  readonly name: string;
  /** The current state, read lazily: an open breaker whose time is up reads `'half-open'` with no timer running. */
  readonly state: CircuitState;
  /** Holds the breaker open until the returned function is called; two isolations need two releases. */
  isolate(): () => void;
  /** Closes the breaker and clears its window (an isolation still holds until released). */
  reset(): void;
  /** Counters and rates of the current window. */
  stats(): CircuitBreakerStats;
  /** A versioned plain snapshot, to restore with `initialState`. */
  toJSON(): CircuitBreakerSnapshot;
}

interface Settings {
  readonly name: string;
  readonly trip: TripRule;
  readonly slow: SlowCallOptions | undefined;
  readonly openMs: number | undefined;
  readonly openBackoff: BackoffOption | undefined;
  readonly probes: number;
  readonly successesToClose: number;
  readonly probeTimeoutMs: number;
  readonly isFailure: (error: unknown) => boolean;
  readonly isResultFailure: ((value: unknown) => boolean) | undefined;
  readonly clock: Clock;
  readonly random: () => number;
  readonly shared: SharedSettings | undefined;
}

type Mode = 'closed' | 'open' | 'half-open';

/** How a breaker counts the outcome of a call that needs no state of its own (see `#plainOutcome`). */
interface PlainOutcome {
  readonly generation: number;
  readonly onValue: (value: unknown) => unknown;
  readonly onError: (err: unknown) => never;
  /** The same counting for a call whose gate the breaker observes (core/gate.ts). */
  readonly observer: OutcomeObserver;
}

/** The start of a call nobody needed to time (no slow-call rule, no listener): its duration reads 0. */
const UNTIMED = Number.NaN;

function safely<A>(predicate: (a: A) => boolean, a: A, onThrow: boolean): boolean {
  try {
    return predicate(a) === true;
  } catch {
    return onThrow;
  }
}

class Breaker implements CircuitBreaker {
  readonly kind = 'breaker' as const;
  #s: Settings;
  /** The options the settings were made from: `configure` merges over them. */
  #options: CircuitBreakerOptions;
  readonly #events = new Emitter<CircuitBreakerEvents>();
  #window: OutcomeWindow;
  #mode: Mode = 'closed';
  /** Bumped on every change of state: outcomes of calls started in an older state do not count. */
  #generation = 0;
  #openUntil = 0;
  #openedAt: number | undefined;
  #consecutiveOpens = 0;
  #probesInFlight = 0;
  #probeSuccesses = 0;
  #probeStartedAt = 0;
  #isolations = 0;
  #rejected = 0;
  #plain: PlainOutcome | undefined;
  /** Whether calls are timed (see `#timed`), as of the listeners' version `#timedFor` (-1: ask again). */
  #isTimed = false;
  #timedFor = -1;
  readonly #shared: SharedCircuit | undefined;

  constructor(options: CircuitBreakerOptions, settings: Settings, snapshot: CircuitBreakerSnapshot | undefined) {
    this.#options = options;
    this.#s = settings;
    this.#window = createWindow(settings.trip, settings.slow?.rate);
    this.#shared = settings.shared && new SharedCircuit(settings.shared, this.#sharedHost());
    if (snapshot) {
      const now = settings.clock.now();
      this.#mode = snapshot.state;
      this.#consecutiveOpens = snapshot.consecutiveOpens;
      if (snapshot.state === 'open') {
        this.#openedAt = now;
        this.#openUntil = now + snapshot.openRemainingMs;
      }
    }
  }

  get name(): string {
    return this.#s.name;
  }

  configure(options: CircuitBreakerSettings): void {
    configureOne(this, options, 'circuitBreaker.configure');
  }

  /**
   * The state (closed, open, half-open, isolated), the time left open, the consecutive opens and
   * the window are kept: new thresholds judge the outcomes to come, and a window of a new size
   * keeps the most recent outcomes that fit. A new `openMs` applies from the next opening.
   */
  [PREPARE_CONFIGURE](options: unknown): () => void {
    const where = 'circuitBreaker.configure';
    checkOptionsObject(where, options);
    checkKnownKeys(where, options ?? {}, CONFIGURABLE);
    const given = (options ?? {}) as CircuitBreakerSettings;
    const merged: CircuitBreakerOptions = { ...this.#options, ...given };
    // openMs and openBackoff exclude each other: giving one replaces the other.
    if (given.openMs !== undefined && given.openBackoff === undefined)
      delete (merged as { openBackoff?: unknown }).openBackoff;
    if (given.openBackoff !== undefined && given.openMs === undefined) delete (merged as { openMs?: unknown }).openMs;
    // The fleet a shared breaker belongs to is part of what it is: kept as it was.
    const next = { ...breakerSettings(merged), shared: this.#s.shared };
    return () => {
      this.#options = merged;
      this.#window = createWindow(next.trip, next.slow?.rate, this.#window);
      this.#s = next;
      this.#timedFor = -1;
    };
  }

  get state(): CircuitState {
    return this.#current(this.#s.clock.now());
  }

  on<K extends keyof CircuitBreakerEvents>(event: K, listener: (payload: CircuitBreakerEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T> {
    return this.#execute(fn, options, false, undefined);
  }

  /** In `compose`: the same call, counted through the gate of a timeout right inside (core/gate.ts). */
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
    // Closed, the common case: no clock read unless something needs a duration. A shared breaker
    // reports on a timer while calls flow and applies the fleet's answers as they arrive.
    if (this.#mode === 'closed' && this.#isolations === 0) {
      this.#shared?.beat();
      return this.#run(given, options, this.#timed() ? this.#s.clock.now() : UNTIMED, false, pipeline, rest);
    }
    // Off the common path, the work is one function (a probe may run it after a lease arrives).
    const fn = workOf(given, rest);
    const now = this.#s.clock.now();
    this.#shared?.tick(now);
    const state = this.#current(now);
    if (state === 'closed') return this.#run(fn, options, now, false);
    if (state === 'half-open' && this.#probesInFlight < this.#s.probes) {
      if (this.#shared?.mayProbe(this.#probesInFlight) === false)
        return this.#probeWithLease(this.#shared, fn, options);
      if (this.#probesInFlight++ === 0) this.#probeStartedAt = now;
      return this.#run(fn, options, now, true);
    }
    return this.#reject(now, state);
  }

  isolate(): () => void {
    const release = this.#hold();
    this.#shared?.isolated(1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      release();
      this.#shared?.isolated(-1);
    };
  }

  /** Isolates; the shared layer calls this directly for an isolation that came from the fleet. */
  #hold(): () => void {
    const from = this.#current(this.#s.clock.now());
    this.#isolations++;
    if (this.#isolations === 1) {
      this.#generation++;
      this.#emitChange(from, 'isolated', 'isolated');
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#isolations--;
      if (this.#isolations === 0) this.#enter('half-open', 'released', this.#s.clock.now(), 'isolated');
    };
  }

  reset(): void {
    const now = this.#s.clock.now();
    this.#rejected = 0;
    this.#consecutiveOpens = 0;
    if (this.#isolations > 0) {
      this.#mode = 'closed';
      this.#window.clear();
      this.#openedAt = undefined;
      return;
    }
    this.#enter('closed', 'reset', now);
  }

  stats(): CircuitBreakerStats {
    const now = this.#s.clock.now();
    const state = this.#current(now);
    const { calls, failures, slowCalls } = this.#window.counts(now);
    return {
      state,
      calls,
      failures,
      slowCalls,
      rejected: this.#rejected,
      failureRate: calls === 0 ? 0 : failures / calls,
      slowCallRate: calls === 0 ? 0 : slowCalls / calls,
      openedAt: this.#openedAt,
      retryAfterMs: state === 'open' ? Math.max(0, this.#openUntil - now) : 0,
      ...(this.#shared && { shared: this.#shared.stats() }),
    };
  }

  toJSON(): CircuitBreakerSnapshot {
    const now = this.#s.clock.now();
    this.#current(now);
    return {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      name: this.#s.name,
      state: this.#mode,
      openRemainingMs: this.#mode === 'open' ? Math.max(0, this.#openUntil - now) : 0,
      consecutiveOpens: this.#consecutiveOpens,
    };
  }

  /** The state now, after the moves time makes on its own (open to half-open, a probe overdue). */
  #current(now: number): CircuitState {
    if (this.#isolations > 0) return 'isolated';
    if (this.#mode === 'open' && now >= this.#openUntil) this.#enter('half-open', 'timer', now);
    else if (
      this.#mode === 'half-open' &&
      this.#probesInFlight > 0 &&
      now - this.#probeStartedAt >= this.#s.probeTimeoutMs
    ) {
      this.#enter('open', 'probe-timeout', now);
    }
    return this.#mode;
  }

  #enter(to: Mode, reason: StateChangeReason, now: number, from: CircuitState = this.#mode, openMs?: number): void {
    this.#mode = to;
    this.#generation++;
    this.#probesInFlight = 0;
    this.#probeSuccesses = 0;
    if (to === 'open') {
      this.#consecutiveOpens++;
      this.#openedAt = now;
      this.#openUntil = now + (openMs ?? this.#openDuration());
    } else if (to === 'closed') {
      this.#consecutiveOpens = 0;
      this.#openedAt = undefined;
      this.#window.clear();
    }
    this.#emitChange(from, to, reason);
    if (reason !== 'shared') this.#shared?.entered(to, reason, now);
  }

  /** What the shared layer may see and do of this breaker. */
  #sharedHost(): SharedHost {
    const s = this.#s;
    return {
      name: s.name,
      probes: s.probes,
      probeTimeoutMs: s.probeTimeoutMs,
      now: () => s.clock.now(),
      later: (cb, ms) => s.clock.setTimeout(cb, ms),
      state: () => this.#current(s.clock.now()),
      probesInFlight: () => this.#probesInFlight,
      openFor: (ms) => this.#enter('open', 'shared', s.clock.now(), this.#mode, ms),
      close: () => this.#enter('closed', 'shared', s.clock.now()),
      hold: () => this.#hold(),
      openDuration: () => this.#openDuration(),
    };
  }

  /** Half-open and shared: probe only with one of the fleet's leases, or when the fleet moved on. */
  #probeWithLease<T>(shared: SharedCircuit, fn: Work<T>, options: ExecuteOptions | undefined): Promise<T> {
    return shared.lease().then(() => {
      const caller = options?.signal;
      if (caller?.aborted) return Promise.reject(abortReason(caller));
      const now = this.#s.clock.now();
      const state = this.#current(now);
      if (state === 'closed') return this.#run(fn, options, now, false);
      if (state === 'half-open' && this.#probesInFlight < this.#s.probes && shared.mayProbe(this.#probesInFlight)) {
        if (this.#probesInFlight++ === 0) this.#probeStartedAt = now;
        return this.#run(fn, options, now, true);
      }
      return this.#reject<T>(now, state);
    });
  }

  #emitChange(from: CircuitState, to: CircuitState, reason: StateChangeReason): void {
    if (from !== to) this.#events.emit('stateChange', { name: this.#s.name, from, to, reason });
  }

  #openDuration(): number {
    const { openMs, openBackoff, random } = this.#s;
    if (openBackoff === undefined) return openMs ?? 60_000;
    return nextDelay(openBackoff, { attempt: this.#consecutiveOpens, random });
  }

  #reject<T>(now: number, state: CircuitState): Promise<T> {
    this.#rejected++;
    const isolated = state === 'isolated';
    const retryAfterMs = state === 'open' ? Math.max(0, this.#openUntil - now) : isolated ? this.#openDuration() : 0;
    if (this.#events.listening('rejected')) this.#events.emit('rejected', { name: this.#s.name, retryAfterMs });
    const message = isolated
      ? `circuit breaker "${this.#s.name}" is isolated`
      : state === 'half-open'
        ? `circuit breaker "${this.#s.name}" is half-open and its probe is running`
        : undefined;
    // The overload path must stay cheap: no stack (its frames cost ~10x the rest of a refusal,
    // decision 0011), and the promise rejects once the caller has had a chance to attach its handler.
    return rejectSoon(withoutStack(() => new CircuitOpenError({ breaker: this.#s.name, retryAfterMs }, message)));
  }

  /** True when a call's duration is wanted: slow-call counting, or someone listening to outcomes. */
  #timed(): boolean {
    const events = this.#events;
    // Asked on every call: answered anew only when a listener came or went, or settings changed.
    if (this.#timedFor !== events.version) {
      this.#timedFor = events.version;
      this.#isTimed =
        this.#s.slow !== undefined ||
        events.listening('success') ||
        events.listening('failure') ||
        events.listening('ignored');
    }
    return this.#isTimed;
  }

  #run<T>(
    fn: Work<T>,
    options: ExecuteOptions | undefined,
    start: number,
    probe: boolean,
    pipeline = false,
    rest: Rest | undefined = undefined,
  ): Promise<T> {
    const caller = options?.signal;
    if (caller !== undefined && canAbort(caller)) {
      return this.#runFollowing(workOf(fn, rest), caller, options?.attempt, start, probe);
    }
    const generation = this.#generation;
    let result: T | PromiseLike<T>;
    try {
      // The caller's signal goes to the work as it is; without one, a shared signal that never
      // aborts and keeps no listeners stands in for it (not an AbortController per call). Options
      // that already are a context (what compose passes on) are handed over as they are.
      result = runWork(
        fn,
        rest,
        caller !== undefined && options?.attempt !== undefined
          ? (options as ExecuteContext)
          : { signal: caller ?? INERT_SIGNAL, attempt: options?.attempt ?? 1 },
      );
    } catch (err) {
      this.#failed(err, generation, start, probe, undefined);
      return Promise.reject(err);
    }
    if (!isThenable(result)) {
      this.#succeeded(result, generation, start, probe);
      return Promise.resolve(result);
    }
    // The common call (closed, not timed, not a probe) needs nothing of its own to be counted:
    // its handlers are made once per state, not twice per call.
    if (!probe && Number.isNaN(start)) {
      const plain = this.#plainOutcome();
      // In compose, a timeout right inside settles its gate after telling the breaker: the
      // caller awaits that one promise, and the breaker adds none of its own.
      const gate = pipeline ? gateOf(result) : undefined;
      if (gate?.observe(plain.observer) === true) return result as Promise<T>;
      return Promise.resolve(result).then(plain.onValue as (value: T) => T, plain.onError);
    }
    return this.#counted(result, generation, start, probe);
  }

  /**
   * Counts a timed call or a probe when it settles. A method of its own: closures made in `#run`
   * would cost an allocation on every call (their captured variables), timed or not.
   */
  #counted<T>(result: PromiseLike<T>, generation: number, start: number, probe: boolean): Promise<T> {
    return Promise.resolve(result).then(
      (value) => {
        this.#succeeded(value, generation, start, probe);
        return value;
      },
      (err: unknown) => {
        this.#failed(err, generation, start, probe, undefined);
        throw err;
      },
    );
  }

  /**
   * A call whose caller can abort: the work gets the caller's signal as it is (a breaker adds no
   * time limit of its own), and the call rejects with the caller's reason the moment it aborts
   * (during the work's synchronous part too). The abandoned call counts as ignored, and a probe
   * frees its slot at once.
   */
  #runFollowing<T>(
    fn: Work<T>,
    caller: AbortSignal,
    attempt: number | undefined,
    start: number,
    probe: boolean,
  ): Promise<T> {
    const generation = this.#generation;
    let settled = false;
    let rejectNow: ((reason: unknown) => void) | undefined;
    const detach = onAbort(caller, (reason) => {
      if (settled) return;
      settled = true;
      this.#abandoned(reason, generation, start, probe);
      rejectNow?.(reason);
    });
    let result: T | PromiseLike<T>;
    try {
      result = fn({ signal: caller, attempt: attempt ?? 1 });
    } catch (err) {
      detach();
      if (settled) return Promise.reject(abortReason(caller));
      settled = true;
      this.#failed(err, generation, start, probe, caller);
      return Promise.reject(err);
    }
    if (settled) {
      ignoreLate(result);
      return Promise.reject(abortReason(caller));
    }
    if (!isThenable(result)) {
      settled = true;
      detach();
      this.#succeeded(result, generation, start, probe);
      return Promise.resolve(result);
    }
    const work = result;
    return new Promise<T>((resolve, reject) => {
      rejectNow = reject;
      work.then(
        (value) => {
          if (settled) return;
          settled = true;
          detach();
          this.#succeeded(value, generation, start, probe);
          resolve(value);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          detach();
          this.#failed(err, generation, start, probe, caller);
          reject(err);
        },
      );
    });
  }

  /** The handlers of the current state's plain calls, made when the state changed since last asked. */
  #plainOutcome(): PlainOutcome {
    const generation = this.#generation;
    let plain = this.#plain;
    if (plain === undefined || plain.generation !== generation) {
      plain = {
        generation,
        onValue: (value) => {
          this.#succeeded(value, generation, UNTIMED, false);
          return value;
        },
        onError: (err) => {
          this.#failed(err, generation, UNTIMED, false, undefined);
          throw err;
        },
        observer: {
          succeeded: (value) => this.#succeeded(value, generation, UNTIMED, false),
          failed: (err) => this.#failed(err, generation, UNTIMED, false, undefined),
        },
      };
      this.#plain = plain;
    }
    return plain;
  }

  #duration(start: number, now: number): number {
    return Number.isNaN(start) ? 0 : now - start;
  }

  #succeeded(value: unknown, generation: number, start: number, probe: boolean): void {
    const { isResultFailure, slow, name, clock } = this.#s;
    const refused = isResultFailure !== undefined && safely(isResultFailure, value, false);
    const listening = this.#events.listening(refused ? 'failure' : 'success');
    // A clock read only when a duration, a slow-call count or a time window needs it.
    const now = refused || probe || listening || slow !== undefined || this.#window.timed ? clock.now() : start;
    const durationMs = this.#duration(start, now);
    const isSlow = slow !== undefined && durationMs >= slow.thresholdMs;
    if (refused) {
      this.#events.emit('failure', { name, error: value, durationMs });
      if (this.#count(true, isSlow, generation, probe, now)) markOpenedBreaker(value);
      return;
    }
    if (listening) this.#events.emit('success', { name, durationMs });
    this.#count(false, isSlow, generation, probe, now);
  }

  /** The caller gave up while the work ran: not an outcome of the dependency. */
  #abandoned(reason: unknown, generation: number, start: number, probe: boolean): void {
    if (this.#events.listening('ignored')) {
      const durationMs = this.#duration(start, this.#s.clock.now());
      this.#events.emit('ignored', { name: this.#s.name, error: reason, durationMs });
    }
    if (probe && generation === this.#generation) this.#probesInFlight--;
  }

  #failed(error: unknown, generation: number, start: number, probe: boolean, caller: AbortSignal | undefined): void {
    const now = this.#s.clock.now();
    const callerGaveUp =
      caller?.aborted === true && (error === caller.reason || (error as Error | null)?.name === 'AbortError');
    if (callerGaveUp || !safely(this.#s.isFailure, error, true)) {
      this.#events.emit('ignored', { name: this.#s.name, error, durationMs: this.#duration(start, now) });
      // An uncounted probe frees its slot, so the next call can probe instead.
      if (probe && generation === this.#generation) this.#probesInFlight--;
      return;
    }
    const durationMs = this.#duration(start, now);
    this.#events.emit('failure', { name: this.#s.name, error, durationMs });
    const slow = this.#s.slow !== undefined && durationMs >= this.#s.slow.thresholdMs;
    if (this.#count(true, slow, generation, probe, now)) markOpenedBreaker(error);
  }

  /** Counts one outcome; true when it opened the breaker (a retry around it then stops waiting). */
  #count(failed: boolean, slow: boolean, generation: number, probe: boolean, now: number): boolean {
    this.#shared?.counted(failed);
    // A call that started in a state the breaker has left says nothing about the current one.
    if (generation !== this.#generation) return false;
    if (probe) {
      this.#probesInFlight--;
      if (failed || slow) {
        this.#enter('open', 'probe-failed', now);
        return true;
      }
      if (++this.#probeSuccesses >= this.#s.successesToClose) this.#enter('closed', 'probe-succeeded', now);
      return false;
    }
    if (this.#mode === 'closed' && this.#window.record(failed, slow, now)) {
      // A success can trip a rate still at its threshold, on the path that reads no clock.
      this.#enter('open', 'tripped', Number.isNaN(now) ? this.#s.clock.now() : now);
      return true;
    }
    return false;
  }
}

const KNOWN_OPTIONS = [
  'name',
  'trip',
  'slowCall',
  'openMs',
  'openBackoff',
  'halfOpen',
  'isFailure',
  'isResultFailure',
  'initialState',
  'clock',
  'random',
  'shared',
] as const;
/** What a running breaker may change: not what makes it this breaker (name, clock, saved state, its fleet). */
const FIXED: readonly string[] = ['name', 'clock', 'initialState', 'shared'];
const CONFIGURABLE = KNOWN_OPTIONS.filter((key) => !FIXED.includes(key));

/**
 * The default `isFailure`: a failure that says the dependency is failing. A 429 says it is up and
 * asks us to slow down (retry honours its Retry-After; opening for `openMs` would refuse calls long
 * after the limit reset), and a `RejectedError` from another policy never reached it.
 */
function countsAsFailure(error: unknown): boolean {
  if (error instanceof RejectedError || httpStatusOf(error) === 429) return false;
  return isRetryable(error);
}

/**
 * A circuit breaker. While closed it runs every call and counts failures by its `trip` rule;
 * once the rule trips it opens, and for `openMs` every call is refused at once with a
 * `CircuitOpenError` without running. Then it lets `halfOpen.probes` calls through to test the
 * dependency: enough successes close it, one failure opens it again (for longer, with
 * `openBackoff`). Calls that arrive while the probes run are refused at once, never queued; a
 * probe that overruns `probeTimeoutMs` counts as failed, so half-open never hangs.
 *
 * Only failures that say something about the dependency count: by default those `isRetryable`
 * accepts, so a 404, a validation error or the caller's own abort passes through uncounted, and
 * neither a 429 (the dependency is up and rate limiting) nor another policy's refusal counts.
 * A value the work returns counts as failed when `isResultFailure` says so (the call still
 * resolves with it); with `throwIfNotOk` from core, a `fetch` Response needs no predicate.
 * No timer runs: the move from open to half-open happens when the state is next read.
 *
 * With `shared` (e.g. `redisStore` from `bulwark/redis`), replicas share it without a round trip
 * on the success path: the fleet opens once `quorum` replicas tripped on their own, probes are
 * bounded across replicas, and `isolate()` isolates all of them (see docs/redis.md).
 *
 * @example
 * ```ts
 * import { circuitBreaker, failureRate } from 'bulwark/breaker';
 *
 * const breaker = circuitBreaker({
 *   name: 'inventory',
 *   trip: failureRate({ threshold: 0.5, minimumCalls: 20, window: { ms: 30_000 } }),
 *   openMs: 10_000,
 *   isResultFailure: (res: Response) => res.status >= 500,
 * });
 * breaker.on('stateChange', ({ from, to, reason }) => console.warn(`inventory: ${from} -> ${to} (${reason})`));
 *
 * const res = await breaker.execute(({ signal }) => fetch('https://inventory.internal/items', { signal }));
 * ```
 */
export function circuitBreaker<R = unknown>(options?: CircuitBreakerOptions<R>): CircuitBreaker {
  const where = 'circuitBreaker';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, KNOWN_OPTIONS);
  const o = (options ?? {}) as CircuitBreakerOptions;
  const settings = breakerSettings(o);
  const snapshot = o.initialState === undefined ? undefined : checkSnapshot(o.initialState, settings.name);
  return new Breaker(o, settings, snapshot);
}

/** Checks every option but `initialState` and makes the settings (the factory's and `configure`'s). */
function breakerSettings(o: CircuitBreakerOptions): Settings {
  const where = 'circuitBreaker';
  const name = nameOption(where, o.name, 'default');
  const trip = o.trip ?? consecutiveFailures(5);
  if (!isTripRule(trip)) {
    throw new TypeError(
      `${where}: option "trip" must be consecutiveFailures(n) or failureRate({ ... }); got ${describe(o.trip)}`,
    );
  }
  let slow: SlowCallOptions | undefined;
  if (o.slowCall !== undefined) {
    checkOptionsObject(`${where} slowCall`, o.slowCall);
    checkKnownKeys(`${where}: slowCall`, o.slowCall, ['thresholdMs', 'rate']);
    if (trip.kind !== 'failureRate') {
      throw new TypeError(
        `${where}: option "slowCall" needs trip: failureRate({ ... }), which measures the slow-call rate`,
      );
    }
    const thresholdMs = msOption(`${where}: slowCall`, 'thresholdMs', o.slowCall.thresholdMs);
    const rate = o.slowCall.rate;
    if (typeof rate !== 'number' || !(rate > 0 && rate <= 1)) {
      throw new RangeError(
        `${where}: option "slowCall.rate" must be a number above 0 and at most 1; got ${describe(rate)}`,
      );
    }
    slow = { thresholdMs, rate };
  }
  if (o.openMs !== undefined && o.openBackoff !== undefined) {
    throw new TypeError(`${where}: give "openMs" or "openBackoff", not both`);
  }
  const openMs = o.openMs === undefined ? undefined : msOption(where, 'openMs', o.openMs, true);
  if (o.openBackoff !== undefined && !isBackoffOption(o.openBackoff)) {
    throw new TypeError(
      `${where}: option "openBackoff" must be a backoff (exponential(), constant(ms), ...) or a function (opens) => ms; got ${describe(o.openBackoff)}`,
    );
  }
  const halfOpen = o.halfOpen ?? {};
  checkOptionsObject(`${where} halfOpen`, halfOpen);
  checkKnownKeys(`${where}: halfOpen`, halfOpen, ['probes', 'successesToClose', 'probeTimeoutMs']);
  const probes = intOption(where, 'halfOpen.probes', halfOpen.probes, 1, 1, 1_000_000);
  const successesToClose = intOption(
    where,
    'halfOpen.successesToClose',
    halfOpen.successesToClose,
    probes,
    1,
    1_000_000,
  );
  const probeTimeoutMs =
    halfOpen.probeTimeoutMs === undefined
      ? Math.max(1, openMs ?? 60_000)
      : msOption(where, 'halfOpen.probeTimeoutMs', halfOpen.probeTimeoutMs);
  const random = functionOption<() => number>(where, 'random', o.random, 'returning a number in [0, 1)');
  return {
    name,
    trip,
    slow,
    openMs,
    openBackoff: o.openBackoff,
    probes,
    successesToClose,
    probeTimeoutMs: Math.min(probeTimeoutMs, MAX_TIMER_MS),
    isFailure: functionOption(where, 'isFailure', o.isFailure, '(error) => boolean') ?? countsAsFailure,
    isResultFailure: functionOption<(value: unknown) => boolean>(
      where,
      'isResultFailure',
      o.isResultFailure,
      '(value) => boolean',
    ),
    clock: clockOption(where, o.clock),
    random: random ?? Math.random,
    shared: o.shared === undefined ? undefined : sharedSettings(where, o.shared),
  };
}
