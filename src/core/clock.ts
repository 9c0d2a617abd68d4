/**
 * The one place bulwark reads time and sets timers. Every time-dependent primitive takes a
 * `clock?: Clock`, so tests can swap in `FakeClock` and never wait for real.
 */

/**
 * A source of time and timers.
 *
 * `now()` is a monotonic millisecond count with an arbitrary origin: use it for durations,
 * never as a date. `setTimeout` returns an opaque handle that only `clearTimeout` of the same
 * clock understands.
 *
 * @example
 * ```ts
 * import { type Clock, systemClock } from 'bulwark';
 *
 * function elapsedSince(start: number, clock: Clock = systemClock): number {
 *   return clock.now() - start;
 * }
 * ```
 */
export interface Clock {
  /** Monotonic milliseconds; only differences between two readings mean anything. */
  now(): number;
  /** Calls `cb` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(cb: () => void, ms: number): unknown;
  /** Cancels a timer set by this clock's `setTimeout`; a cleared or fired handle is ignored. */
  clearTimeout(handle: unknown): void;
}

type TimerHandle = ReturnType<typeof globalThis.setTimeout>;

/**
 * The real clock: `performance.now()` for time and the runtime's timers, each `unref`ed where
 * the runtime allows it, so a timer bulwark sets never keeps a process alive on its own.
 *
 * @example
 * ```ts
 * import { systemClock } from 'bulwark';
 *
 * const started = systemClock.now();
 * // ... work ...
 * console.log(`took ${systemClock.now() - started} ms`);
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimeout(cb: () => void, ms: number): unknown {
    // A delay computed as "deadline - now" can come out a hair below 0 (or NaN): it means now, as
    // FakeClock reads it, and Node would print a TimeoutNegativeWarning for it.
    // biome-ignore lint/complexity/useMathMinMax: Math.max(0, NaN) is NaN; this makes NaN 0 too
    const handle: TimerHandle = globalThis.setTimeout(cb, ms > 0 ? ms : 0);
    // Node and Bun return an object with unref(); browsers and Deno return a number.
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout(handle: unknown): void {
    globalThis.clearTimeout(handle as TimerHandle);
  },
});

/**
 * Wall-clock milliseconds since the epoch. Only used to turn an HTTP date (a `Retry-After`
 * header) into a delay; durations always come from a {@link Clock}.
 *
 * @internal
 */
export const wallClockNow = (): number => Date.now();

/**
 * True when `value` has the three functions of a {@link Clock}.
 *
 * @example
 * ```ts
 * import { isClock, systemClock } from 'bulwark';
 *
 * isClock(systemClock); // true
 * isClock({ now: Date.now }); // false: no timers
 * ```
 */
export function isClock(value: unknown): value is Clock {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.now === 'function' && typeof c.setTimeout === 'function' && typeof c.clearTimeout === 'function';
}
