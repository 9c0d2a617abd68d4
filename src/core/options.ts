/**
 * Option checks shared by every constructor: each error names the function, the option, the
 * value it got with its type, and what would be valid.
 */
import { type Clock, isClock, systemClock } from './clock.js';
import { describe } from './errors.js';

/**
 * Throws a TypeError naming any key of `options` not in `known` (a typo is caught at once). Every
 * known option is read once here too, so an options object that cannot be read (a Proxy whose
 * traps throw, a getter that throws) fails with the function and the option named, not with a
 * bare error from deep inside a constructor.
 */
export function checkKnownKeys(where: string, options: object, known: readonly string[]): void {
  let keys: string[];
  try {
    keys = Object.keys(options);
  } catch (err) {
    throw new TypeError(`${where}: the options object could not be read: ${messageOf(err)}`, { cause: err });
  }
  for (const key of keys) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${where}: unknown option "${key}"; valid options are ${known.map((k) => `"${k}"`).join(', ')}`,
      );
    }
    try {
      (options as Record<string, unknown>)[key];
    } catch (err) {
      throw new TypeError(`${where}: option "${key}" could not be read: ${messageOf(err)}`, { cause: err });
    }
  }
}

function messageOf(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return 'an unprintable error';
  }
}

/** Throws a TypeError unless `options` is undefined or a plain object. */
export function checkOptionsObject(where: string, options: unknown): asserts options is object | undefined {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new TypeError(`${where}: options must be an object; got ${describe(options)}`);
  }
}

/** The `clock` option: a {@link Clock}, or the system clock when unset. */
export function clockOption(where: string, value: unknown): Clock {
  if (value === undefined) return systemClock;
  if (!isClock(value)) {
    throw new TypeError(
      `${where}: option "clock" must be a Clock (an object with now, setTimeout and clearTimeout functions); got ${describe(value)}`,
    );
  }
  return value;
}

/**
 * A delay a timer can represent: greater than 0 (or at least 0 with `allowZero`) and at most
 * {@link MAX_TIMER_MS}. A RangeError for anything else, a wrong type included.
 */
export function msOption(where: string, name: string, value: unknown, allowZero = false): number {
  const low = allowZero
    ? value === 0 || (typeof value === 'number' && value > 0)
    : typeof value === 'number' && value > 0;
  if (!low || (value as number) > MAX_TIMER_MS) {
    throw new RangeError(
      `${where}: option "${name}" must be a number of milliseconds ${allowZero ? 'from 0' : 'greater than 0'} up to ${MAX_TIMER_MS}; got ${describe(value)}`,
    );
  }
  return value as number;
}

/**
 * A whole number in `[min, max]`, or `fallback` when unset. The message says "from min to max", or
 * ">= min" when there is no upper bound.
 */
export function intOption(
  where: string,
  name: string,
  value: unknown,
  fallback: number,
  min = 1,
  max = Number.POSITIVE_INFINITY,
): number {
  const n = value ?? fallback;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`${where}: option "${name}" must be a whole number ${range}; got ${describe(n)}`);
  }
  return n;
}

/** A function, or undefined when unset; `shape` describes it in the error, e.g. `(error) => boolean`. */
export function functionOption<F>(where: string, name: string, value: unknown, shape: string): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${where}: option "${name}" must be a function ${shape}; got ${describe(value)}`);
  }
  return value as F | undefined;
}

/** A non-empty string without control characters, used in errors, events and metric labels. */
export function nameOption(where: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > 128 || /[\p{Cc}]/u.test(value)) {
    throw new TypeError(
      `${where}: option "name" must be a string of 1 to 128 printable characters; got ${describe(value)}`,
    );
  }
  return value;
}

/** The largest delay a runtime timer can represent (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
