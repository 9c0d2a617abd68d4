/**
 * Backoffs: how long to wait before the next attempt (retry) or before probing again (breaker).
 * They live in core so retry and the circuit breaker share them. Every delay they produce is a
 * finite number from 0 to 2^31 - 1 ms, whatever the attempt number.
 */
import { describe } from './errors.js';
import { checkKnownKeys, checkOptionsObject, MAX_TIMER_MS } from './options.js';

/** How randomness spreads delays so that many clients do not retry in lockstep. */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

const JITTERS: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];

/** What a backoff is told when asked for a delay. */
export interface BackoffContext {
  /** 1 for the first wait (before the second attempt, or after the first opening), and so on. */
  readonly attempt: number;
  /** The error that led to this wait, when there is one. */
  readonly error?: unknown;
  /** The delay this backoff returned last time in the same sequence (decorrelated jitter uses it). */
  readonly previousMs?: number | undefined;
  /** A number in [0, 1); the policy's `random` option, `Math.random` by default. */
  readonly random: () => number;
}

/**
 * A backoff made by {@link exponential}, {@link constant} or {@link fromDelays}: asked for
 * the delay before each next attempt.
 *
 * @example
 * ```ts
 * import { exponential } from 'bulwark';
 *
 * const backoff = exponential({ initialMs: 100, jitter: 'none' });
 * backoff.delay({ attempt: 3, random: Math.random }); // 400
 * ```
 */
export interface Backoff {
  /** The delay in milliseconds before the next attempt. */
  delay(context: BackoffContext): number;
}

/** A backoff as a plain function of the attempt number and the error. */
export type BackoffFunction = (attempt: number, error: unknown) => number;

/** What options named `backoff` accept: a {@link Backoff} or a {@link BackoffFunction}. */
export type BackoffOption = Backoff | BackoffFunction;

/** Clamps any number to a delay a timer can hold: NaN and negatives to 0, huge values to 2^31 - 1. */
function clampDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

function checkMs(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0) || value > MAX_TIMER_MS) {
    throw new RangeError(
      `${where}: option "${name}" must be a number of milliseconds from 0 to ${MAX_TIMER_MS}; got ${describe(value)}`,
    );
  }
  return value;
}

function checkJitter(where: string, value: unknown): Jitter {
  if (value === undefined) return 'full';
  if (!JITTERS.includes(value as Jitter)) {
    throw new TypeError(
      `${where}: option "jitter" must be one of ${JITTERS.map((j) => `'${j}'`).join(', ')}; got ${describe(value)}`,
    );
  }
  return value as Jitter;
}

function applyJitter(jitter: Jitter, base: number, floor: number, cap: number, context: BackoffContext): number {
  switch (jitter) {
    case 'none':
      return base;
    case 'full':
      return context.random() * base;
    case 'equal':
      return base / 2 + (context.random() * base) / 2;
    case 'decorrelated': {
      // Each wait is drawn between the floor and three times the previous wait, never past the cap.
      const previous = Math.max(floor, context.previousMs ?? floor);
      return Math.min(cap, floor + context.random() * (previous * 3 - floor));
    }
  }
}

/** Options of {@link exponential}. */
export interface ExponentialOptions {
  /** The first delay before jitter (default 1000). */
  readonly initialMs?: number | undefined;
  /** Each delay is the previous one times this (default 2; at least 1). */
  readonly factor?: number | undefined;
  /** No delay is longer than this, before jitter (default 10000). */
  readonly maxMs?: number | undefined;
  /** How delays are spread (default `'full'`: anywhere from 0 to the computed delay). */
  readonly jitter?: Jitter | undefined;
}

/**
 * Delays that grow by `factor` each time, capped at `maxMs`, then jittered. The default is
 * 1 s, 2 s, 4 s, 8 s, 10 s, 10 s... before jitter, with full jitter (a uniform draw from 0 to the
 * delay), which spreads clients best. `'equal'` keeps at least half of each delay;
 * `'decorrelated'` draws each delay from `initialMs` to three times the previous one.
 *
 * @example
 * ```ts
 * import { exponential } from 'bulwark';
 * import { retry } from 'bulwark/retry';
 *
 * const policy = retry({ attempts: 5, backoff: exponential({ initialMs: 200, maxMs: 5000, jitter: 'equal' }) });
 * ```
 */
export function exponential(options?: ExponentialOptions): Backoff {
  const where = 'exponential';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, ['initialMs', 'factor', 'maxMs', 'jitter']);
  const initialMs = checkMs(where, 'initialMs', options?.initialMs ?? 1000);
  const maxMs = checkMs(where, 'maxMs', options?.maxMs ?? Math.max(10_000, initialMs));
  const factor = options?.factor ?? 2;
  if (typeof factor !== 'number' || !(factor >= 1) || !Number.isFinite(factor)) {
    throw new RangeError(`${where}: option "factor" must be a finite number >= 1; got ${describe(factor)}`);
  }
  if (maxMs < initialMs) {
    throw new RangeError(`${where}: option "maxMs" (${maxMs}) must be at least "initialMs" (${initialMs})`);
  }
  const jitter = checkJitter(where, options?.jitter);
  return {
    delay(context) {
      const exponent = Math.max(0, context.attempt - 1);
      const grown = initialMs * factor ** exponent;
      // factor ** exponent overflows to Infinity for large attempts; the cap applies either way.
      const base = initialMs === 0 ? 0 : Number.isFinite(grown) ? Math.min(maxMs, grown) : maxMs;
      return clampDelay(applyJitter(jitter, base, initialMs, maxMs, context));
    },
  };
}

/** Options of {@link constant}. */
export interface ConstantOptions {
  /** How delays are spread (default `'none'`). */
  readonly jitter?: Jitter | undefined;
}

/**
 * The same delay every time (optionally jittered).
 *
 * @example
 * ```ts
 * import { constant } from 'bulwark';
 * import { retry } from 'bulwark/retry';
 *
 * const policy = retry({ attempts: 3, backoff: constant(500) });
 * ```
 */
export function constant(ms: number, options?: ConstantOptions): Backoff {
  const where = 'constant';
  const delay = checkMs(where, 'ms', ms);
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, ['jitter']);
  const jitter = options?.jitter === undefined ? 'none' : checkJitter(where, options.jitter);
  return { delay: (context) => clampDelay(applyJitter(jitter, delay, delay, delay, context)) };
}

/**
 * Exactly these delays, in order; the last one repeats if attempts outnumber them.
 *
 * @example
 * ```ts
 * import { fromDelays } from 'bulwark';
 * import { retry } from 'bulwark/retry';
 *
 * const policy = retry({ attempts: 4, backoff: fromDelays([100, 1000, 5000]) });
 * ```
 */
export function fromDelays(delays: readonly number[]): Backoff {
  const where = 'fromDelays';
  if (!Array.isArray(delays) || delays.length === 0) {
    throw new TypeError(`${where}: expected a non-empty array of milliseconds; got ${describe(delays)}`);
  }
  const list = delays.map((ms, i) => checkMs(where, `delays[${i}]`, ms));
  return { delay: ({ attempt }) => list[Math.min(Math.max(attempt, 1), list.length) - 1] ?? 0 };
}

/** True when `value` is a {@link Backoff} or a function usable as one. */
export function isBackoffOption(value: unknown): value is BackoffOption {
  return (
    typeof value === 'function' ||
    (typeof value === 'object' && value !== null && typeof (value as Backoff).delay === 'function')
  );
}

/**
 * Asks `backoff` for a delay and makes it safe for a timer: a function that returns NaN, a
 * negative number or throws gives 0; Infinity or more than 2^31 - 1 gives 2^31 - 1.
 *
 * @internal
 */
export function nextDelay(backoff: BackoffOption, context: BackoffContext): number {
  try {
    const ms = typeof backoff === 'function' ? backoff(context.attempt, context.error) : backoff.delay(context);
    return typeof ms === 'number' ? clampDelay(ms) : 0;
  } catch {
    return 0;
  }
}
