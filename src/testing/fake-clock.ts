import type { Clock } from '../core/clock.js';
import { describe } from '../core/errors.js';

interface FakeTimer {
  readonly id: number;
  readonly due: number;
  readonly cb: () => void;
}

/** `runAll` stops with an error after this many timers: something keeps rescheduling itself. */
const RUN_ALL_LIMIT = 100_000;

/** Resolves after every microtask queued so far, and those they queue, have run. */
const settleMicrotasks: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => globalThis.setTimeout(resolve, 0));

/**
 * A {@link Clock} that only moves when told to. Give it to any bulwark primitive as `clock`,
 * then drive time with `advance`: due timers fire in time order (ties in the order they were
 * set), and promise continuations run between them, so one `await clock.advance(ms)` plays a
 * whole sequence of timeouts and backoffs without any real waiting.
 *
 * @example
 * ```ts
 * import { timeout } from 'bulwark/timeout';
 * import { FakeClock } from 'bulwark/testing';
 *
 * const clock = new FakeClock();
 * const call = timeout({ ms: 1000, clock }).execute(() => new Promise(() => {}));
 * await clock.advance(1000);
 * await expect(call).rejects.toThrow('timed out after 1000 ms');
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: FakeTimer[] = [];

  /** @param startMs - What `now()` reads before time moves (default 0). */
  constructor(startMs = 0) {
    if (typeof startMs !== 'number' || !Number.isFinite(startMs)) {
      throw new RangeError(`FakeClock: startMs must be a finite number; got ${describe(startMs)}`);
    }
    this.#now = startMs;
  }

  /** The fake time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /**
   * Schedules `cb` at `now() + ms` (a negative or NaN delay counts as 0, as real timers do).
   * Bound to the clock, so it can be passed around detached.
   */
  readonly setTimeout = (cb: () => void, ms: number): unknown => {
    if (typeof cb !== 'function')
      throw new TypeError(`FakeClock.setTimeout: callback must be a function; got ${describe(cb)}`);
    const delay = typeof ms === 'number' && ms > 0 ? ms : 0;
    const timer: FakeTimer = { id: this.#nextId++, due: this.#now + delay, cb };
    this.#timers.push(timer);
    return timer.id;
  };

  /** Cancels a timer; an unknown, fired or already cleared handle is ignored. Bound like `setTimeout`. */
  readonly clearTimeout = (handle: unknown): void => {
    const index = this.#timers.findIndex((t) => t.id === handle);
    if (index !== -1) this.#timers.splice(index, 1);
  };

  /** How many timers are set and not yet fired or cleared. 0 after a test means nothing leaked. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order, with
   * promise continuations settled before each timer and after the last.
   */
  async advance(ms: number): Promise<void> {
    if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0 || ms === Number.POSITIVE_INFINITY) {
      throw new RangeError(`FakeClock.advance: ms must be a finite number >= 0; got ${describe(ms)}`);
    }
    const target = this.#now + ms;
    await settleMicrotasks();
    for (let timer = this.#nextDue(target); timer !== undefined; timer = this.#nextDue(target)) {
      this.#fire(timer);
      await settleMicrotasks();
    }
    this.#now = target;
    await settleMicrotasks();
  }

  /**
   * Fires timers until none is left, moving time to each one's due time, including timers set by
   * the ones that fire. Throws if more than 100,000 fire (something reschedules itself forever).
   */
  async runAll(): Promise<void> {
    await settleMicrotasks();
    for (let fired = 0; this.#timers.length > 0; fired++) {
      if (fired >= RUN_ALL_LIMIT) {
        throw new Error(
          `FakeClock.runAll: fired ${RUN_ALL_LIMIT} timers and more keep coming; use advance(ms) instead`,
        );
      }
      const timer = this.#nextDue(Number.POSITIVE_INFINITY);
      if (timer === undefined) break;
      this.#fire(timer);
      await settleMicrotasks();
    }
  }

  #nextDue(limit: number): FakeTimer | undefined {
    let next: FakeTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.due <= limit && (next === undefined || timer.due < next.due)) next = timer;
    }
    return next;
  }

  #fire(timer: FakeTimer): void {
    this.#timers.splice(this.#timers.indexOf(timer), 1);
    this.#now = Math.max(this.#now, timer.due);
    timer.cb();
  }
}
