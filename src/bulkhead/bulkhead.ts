import { abortReason, canAbort, INERT_SIGNAL, onAbort } from '../core/abort.js';
import type { Clock } from '../core/clock.js';
import { type Configurable, configureOne, PREPARE_CONFIGURE } from '../core/configure.js';
import { settledUnlessAborted, untilAborted } from '../core/context.js';
import { BulkheadRejectedError, describe, rejectSoon, withoutStack } from '../core/errors.js';
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
import { type AdaptiveLimit, isAdaptiveLimit } from './adaptive.js';
import { type Waiter, WaitLine } from './queue.js';

/** Options of {@link bulkhead}. */
export interface BulkheadOptions {
  /** At most this many calls run at once: a whole number >= 1, or an {@link AdaptiveLimit}. */
  readonly limit: number | AdaptiveLimit;
  /** Up to this many more calls wait for a place, in order (default 0: refuse at once). */
  readonly queue?: number | undefined;
  /** A call that waited this long for a place is refused (default: it waits until it gets one). */
  readonly queueTimeoutMs?: number | undefined;
  /** Names the bulkhead in errors, events and metrics (default `'bulkhead'`). */
  readonly name?: string | undefined;
  /** Where time comes from (default: the system clock); pass a `FakeClock` in tests. */
  readonly clock?: Clock | undefined;
}

/** Why a bulkhead refused a call. */
export type BulkheadRejectReason = 'full' | 'queue-timeout';

/** Events of a {@link Bulkhead}. */
export interface BulkheadEvents {
  /** A call was refused with a `BulkheadRejectedError`. */
  rejected: {
    /** The bulkhead's name. */
    readonly name: string;
    /** `'full'`: every place and the queue were taken; `'queue-timeout'`: it waited `queueTimeoutMs`. */
    readonly reason: BulkheadRejectReason;
    /** What the error says: about when the next place frees, in ms. */
    readonly retryAfterMs: number;
    /** How long it waited in the queue (0 when refused at once). */
    readonly waitedMs: number;
  };
  /** A waiting call left the queue because its caller aborted. */
  abandoned: {
    /** The bulkhead's name. */
    readonly name: string;
    /** How long it had waited. */
    readonly waitedMs: number;
  };
}

/** What `stats()` reports. */
export interface BulkheadStats {
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting for a place now. */
  readonly queued: number;
  /** The limit now (it moves when the limit is adaptive). */
  readonly limit: number;
  /** Places in the queue. */
  readonly queueSize: number;
  /** Calls refused since the bulkhead was made: full, or waited past `queueTimeoutMs`. */
  readonly rejected: number;
  /** Of `rejected`, those refused after waiting `queueTimeoutMs`. */
  readonly queueTimeouts: number;
  /** Waiting calls that left the queue because their caller aborted. */
  readonly abandoned: number;
}

/** What {@link Bulkhead.configure} can change at run time. */
export type BulkheadSettings = Pick<Partial<BulkheadOptions>, 'limit' | 'queue' | 'queueTimeoutMs'>;

/**
 * A {@link Policy} that lets at most `limit` calls run at once and up to `queue` more wait.
 * Made by {@link bulkhead}.
 */
export interface Bulkhead extends Policy, EventSource<BulkheadEvents>, Configurable<BulkheadSettings> {
  readonly kind: 'bulkhead';
  /** The bulkhead's name. */
  readonly name: string;
  /** The adaptive limit it runs on, or undefined when its limit is a fixed number. */
  readonly adaptive: AdaptiveLimit | undefined;
  /** Running and waiting calls, the limit, and the refusals so far. */
  stats(): BulkheadStats;
}

interface Settings {
  readonly name: string;
  readonly limit: number | AdaptiveLimit;
  readonly queue: number;
  readonly queueTimeoutMs: number | undefined;
  readonly clock: Clock;
}

/** Weight of the newest duration in the running mean that `retryAfterMs` is estimated from. */
const MEAN_WEIGHT = 0.2;

function isTimeout(error: unknown): boolean {
  try {
    return (error as { name?: unknown } | null)?.name === 'TimeoutError';
  } catch {
    return false;
  }
}

class Limiter implements Bulkhead {
  readonly kind = 'bulkhead' as const;
  readonly name: string;
  #s: Settings;
  #options: BulkheadOptions;
  readonly #events = new Emitter<BulkheadEvents>();
  readonly #line = new WaitLine();
  #active = 0;
  #rejected = 0;
  #queueTimeouts = 0;
  #abandoned = 0;
  /** Running mean of timed call durations; undefined until one finished. */
  #meanMs: number | undefined;
  /** When the first timed call started: the estimate before any call finished. */
  #firstStart: number | undefined;
  #timer: unknown;

  constructor(options: BulkheadOptions, s: Settings) {
    this.#options = options;
    this.#s = s;
    this.name = s.name;
    if (typeof s.limit !== 'number') claimed.add(s.limit);
  }

  get adaptive(): AdaptiveLimit | undefined {
    const { limit } = this.#s;
    return typeof limit === 'number' ? undefined : limit;
  }

  configure(options: BulkheadSettings): void {
    configureOne(this, options, 'bulkhead.configure');
  }

  /**
   * Calls running keep their places and waiting calls their turn and deadline; a higher limit
   * lets waiting calls in at once, a lower one waits for running calls to end.
   */
  [PREPARE_CONFIGURE](options: unknown): () => void {
    const where = 'bulkhead.configure';
    checkOptionsObject(where, options);
    checkKnownKeys(where, options ?? {}, CONFIGURABLE);
    const merged: BulkheadOptions = { ...this.#options, ...(options as BulkheadSettings) };
    const next = bulkheadSettings(merged, this.adaptive);
    return () => {
      const previous = this.#s.limit;
      if (typeof previous !== 'number' && previous !== next.limit) claimed.delete(previous);
      if (typeof next.limit !== 'number') claimed.add(next.limit);
      this.#options = merged;
      this.#s = next;
      if (this.#line.size > 0) this.#admit();
    };
  }

  on<K extends keyof BulkheadEvents>(event: K, listener: (payload: BulkheadEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  stats(): BulkheadStats {
    return {
      active: this.#active,
      queued: this.#line.size,
      limit: this.#limit(),
      queueSize: this.#s.queue,
      rejected: this.#rejected,
      queueTimeouts: this.#queueTimeouts,
      abandoned: this.#abandoned,
    };
  }

  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T> {
    const caller = options?.signal;
    if (caller?.aborted) return Promise.reject(abortReason(caller));
    const attempt = options?.attempt ?? 1;
    // Nobody jumps the line: while calls wait, a newcomer waits behind them.
    if (this.#active < this.#limit() && this.#line.size === 0) return this.#run(fn, caller, attempt);
    if (this.#line.size < this.#s.queue) return this.#wait(fn, caller, attempt);
    return this.#refuse('full', 0);
  }

  #limit(): number {
    const { limit } = this.#s;
    if (typeof limit === 'number') return limit;
    // A limit of your own may say anything; below 1 (or NaN) nothing would ever run again.
    const current = limit.current;
    if (!(current >= 1)) return 1;
    return current;
  }

  #run<T>(fn: Work<T>, caller: AbortSignal | undefined, attempt: number): Promise<T> {
    const inflight = ++this.#active;
    // A fixed limit times only the calls that take its last place: only a full bulkhead needs
    // the estimate behind retryAfterMs, and the clock stays off the path of a bulkhead with room.
    const { limit } = this.#s;
    const timed = typeof limit !== 'number' || inflight >= limit;
    const start = timed ? this.#s.clock.now() : 0;
    if (timed && this.#firstStart === undefined) this.#firstStart = start;
    let result: T | PromiseLike<T>;
    try {
      // With no caller, core's one never-aborting signal, shared by every call: no controller per call.
      result = fn({ signal: caller ?? INERT_SIGNAL, attempt });
    } catch (error) {
      this.#done(timed, start, inflight, error, true);
      return Promise.reject(caller?.aborted ? abortReason(caller) : error);
    }
    if (!isThenable(result)) {
      this.#done(timed, start, inflight, undefined, false);
      return caller === undefined ? Promise.resolve(result) : settledUnlessAborted(result, caller);
    }
    // The place is held until the work really ends; the caller's abort settles the call at once.
    const ended = Promise.resolve(result).then(
      (value) => {
        this.#done(timed, start, inflight, undefined, false);
        return value;
      },
      (error: unknown) => {
        this.#done(timed, start, inflight, error, true);
        throw error;
      },
    );
    return caller === undefined || !canAbort(caller) ? ended : untilAborted(ended, caller);
  }

  /** A call ended: free its place, learn from it, and give places to the waiting calls. */
  #done(timed: boolean, start: number, inflight: number, error: unknown, failed: boolean): void {
    this.#active--;
    if (timed) {
      const durationMs = Math.max(0, this.#s.clock.now() - start);
      if (!failed)
        this.#meanMs =
          this.#meanMs === undefined ? durationMs : this.#meanMs + (durationMs - this.#meanMs) * MEAN_WEIGHT;
      // Only a success or a timeout says something about the dependency's capacity; any other
      // failure (a refusal inside, a bug, the caller's abort) is left out.
      const adaptive = this.adaptive;
      if (adaptive !== undefined && (!failed || isTimeout(error))) {
        try {
          adaptive.record({ durationMs, inflight, dropped: failed });
        } catch {
          // A limit that throws must not keep the next call in the queue or change this outcome.
        }
      }
    }
    if (this.#line.size > 0) this.#admit();
  }

  #admit(): void {
    const line = this.#line;
    for (let head = line.head; head !== undefined && this.#active < this.#limit(); head = line.head) {
      line.remove(head);
      head.start();
    }
    if (line.size === 0) this.#disarm();
  }

  #wait<T>(fn: Work<T>, caller: AbortSignal | undefined, attempt: number): Promise<T> {
    const clock = this.#s.clock;
    const enteredAt = clock.now();
    const timeoutMs = this.#s.queueTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          this.#run(fn, caller, attempt).then(resolve, reject);
        },
        fail: reject,
        enteredAt,
        deadline: timeoutMs === undefined ? Number.POSITIVE_INFINITY : enteredAt + timeoutMs,
        detach: noop,
        prev: undefined,
        next: undefined,
        waiting: false,
      };
      this.#line.push(waiter);
      if (caller !== undefined) {
        waiter.detach = onAbort(caller, (reason) => {
          if (!waiter.waiting) return;
          this.#line.remove(waiter);
          this.#abandoned++;
          if (this.#events.listening('abandoned')) {
            this.#events.emit('abandoned', { name: this.name, waitedMs: clock.now() - enteredAt });
          }
          reject(reason);
          // Places only free when a call ends, so nobody behind it can start now; an empty
          // line needs no timer.
          if (this.#line.size === 0) this.#disarm();
        });
      }
      if (timeoutMs !== undefined && this.#timer === undefined) this.#arm(clock.now());
    });
  }

  /** One timer for the whole line: waiters leave in order, so the head's deadline is the earliest. */
  #arm(now: number): void {
    const head = this.#line.head;
    if (head === undefined || head.deadline === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#s.clock.setTimeout(
      () => this.#expire(),
      Math.min(MAX_TIMER_MS, Math.max(0, head.deadline - now)),
    );
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#s.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#s.clock.now();
    const line = this.#line;
    for (let head = line.head; head !== undefined && head.deadline <= now; head = line.head) {
      line.remove(head);
      this.#queueTimeouts++;
      const refusal = this.#refusal('queue-timeout', now - head.enteredAt);
      head.fail(refusal);
    }
    this.#arm(now);
  }

  #refuse<T>(reason: BulkheadRejectReason, waitedMs: number): Promise<T> {
    return rejectSoon(this.#refusal(reason, waitedMs));
  }

  #refusal(reason: BulkheadRejectReason, waitedMs: number): BulkheadRejectedError {
    this.#rejected++;
    const retryAfterMs = this.#retryAfterMs();
    if (this.#events.listening('rejected')) {
      this.#events.emit('rejected', { name: this.name, reason, retryAfterMs, waitedMs });
    }
    const policy = this.name;
    const message =
      reason === 'full'
        ? `bulkhead "${policy}" is full (${this.#active} running, ${this.#line.size} waiting); retry in ${retryAfterMs} ms`
        : `bulkhead "${policy}": waited ${Math.round(waitedMs)} ms in the queue without getting a place; retry in ${retryAfterMs} ms`;
    return withoutStack(() => new BulkheadRejectedError({ policy, retryAfterMs }, message));
  }

  /**
   * About when the next place frees: the mean duration of recent calls over the limit, since
   * `limit` calls end in about one mean duration. Before any call finished, the time since the
   * first one started. At least 1 ms, so a retry around a full bulkhead never spins.
   */
  #retryAfterMs(): number {
    const mean = this.#meanMs ?? (this.#firstStart === undefined ? 0 : this.#s.clock.now() - this.#firstStart);
    return Math.max(1, Math.ceil(mean / Math.max(1, this.#limit())));
  }
}

function noop(): void {}

const KNOWN_OPTIONS = ['limit', 'queue', 'queueTimeoutMs', 'name', 'clock'] as const;
const CONFIGURABLE = ['limit', 'queue', 'queueTimeoutMs'] as const;
const claimed = new WeakSet<AdaptiveLimit>();

/** Checks every option; `own` is the adaptive limit the bulkhead being configured already holds. */
function bulkheadSettings(options: BulkheadOptions, own?: AdaptiveLimit): Settings {
  const where = 'bulkhead';
  checkOptionsObject(where, options);
  if (options === undefined) throw new TypeError(`${where}: options { limit } are required`);
  checkKnownKeys(where, options, KNOWN_OPTIONS);
  let limit: number | AdaptiveLimit;
  if (isAdaptiveLimit(options.limit)) {
    if (claimed.has(options.limit) && options.limit !== own) {
      throw new TypeError(
        `${where}: option "limit" is an adaptive limit another bulkhead already uses; make one adaptiveLimit() per bulkhead`,
      );
    }
    limit = options.limit;
  } else if (typeof options.limit === 'number') {
    limit = intOption(where, 'limit', options.limit, 0, 1, 1_000_000);
  } else {
    throw new TypeError(
      `${where}: option "limit" must be a whole number from 1 to 1000000 or an adaptiveLimit(); got ${describe(options.limit)}`,
    );
  }
  const queue = intOption(where, 'queue', options.queue, 0, 0, 1_000_000);
  let queueTimeoutMs: number | undefined;
  if (options.queueTimeoutMs !== undefined) {
    queueTimeoutMs = msOption(where, 'queueTimeoutMs', options.queueTimeoutMs);
    if (queue === 0) {
      throw new RangeError(`${where}: option "queueTimeoutMs" needs a queue; set "queue" to 1 or more, or drop it`);
    }
  }
  return {
    name: nameOption(where, options.name, 'bulkhead'),
    limit,
    queue,
    queueTimeoutMs,
    clock: clockOption(where, options.clock),
  };
}

/**
 * A policy that lets at most `limit` calls run at once, so one slow dependency cannot take every
 * socket, worker or byte of memory of the service. Up to `queue` more calls wait for a place in
 * order; beyond that a call is refused at once with a `BulkheadRejectedError` (code
 * `ERR_BULKHEAD_FULL`), which costs no stack trace. A waiting call whose caller aborts leaves the
 * queue at once with the caller's reason; one that waits past `queueTimeoutMs` is refused.
 *
 * The refusal's `retryAfterMs` estimates when the next place frees: the mean duration of recent
 * calls divided by the limit (at least 1 ms), so a retry around a full bulkhead waits instead of
 * spinning. `limit` may be an {@link adaptiveLimit} that finds the right concurrency itself.
 * A running call keeps its place until its work settles: pass its `signal` on so it can stop.
 * `configure({ limit, queue, queueTimeoutMs })` changes them at run time, keeping every call.
 *
 * @example
 * ```ts
 * import { BulkheadRejectedError } from 'bulwark';
 * import { bulkhead } from 'bulwark/bulkhead';
 *
 * const reports = bulkhead({ name: 'reports', limit: 4, queue: 20, queueTimeoutMs: 5000 });
 *
 * try {
 *   await reports.execute(({ signal }) => fetch('https://reports.example.com/render', { signal }));
 * } catch (err) {
 *   if (err instanceof BulkheadRejectedError) console.warn(`busy; try again in ${err.retryAfterMs} ms`);
 *   else throw err;
 * }
 * ```
 */
export function bulkhead(options: BulkheadOptions): Bulkhead {
  return new Limiter(options, bulkheadSettings(options));
}
