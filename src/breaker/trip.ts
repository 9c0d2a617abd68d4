/**
 * Trip rules: when a closed breaker opens. A rule is a plain description, shared freely; each
 * breaker builds its own window from it, sized O(window), with no timer.
 */
import { describe } from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject } from '../core/options.js';

/** Opens after `failures` failures in a row. Made by {@link consecutiveFailures}. */
export interface ConsecutiveFailuresRule {
  /** Which rule this is. */
  readonly kind: 'consecutiveFailures';
  /** Failures in a row that open the breaker. */
  readonly failures: number;
}

/** The span a failure rate is measured over. */
export type RateWindow =
  | {
      /** The last `calls` calls. */
      readonly calls: number;
    }
  | {
      /** The last `ms` milliseconds. */
      readonly ms: number;
      /** How many buckets the span is cut into (default 10); time moves one bucket at a time. */
      readonly buckets?: number | undefined;
    };

/** Opens when the failure rate over a window reaches a threshold. Made by {@link failureRate}. */
export interface FailureRateRule {
  /** Which rule this is. */
  readonly kind: 'failureRate';
  /** Failure rate, 0 to 1, that opens the breaker. */
  readonly threshold: number;
  /** No decision before the window holds this many calls. */
  readonly minimumCalls: number;
  /** The span the rate is measured over. */
  readonly window: RateWindow;
}

/** When a closed breaker opens: {@link consecutiveFailures} or {@link failureRate}. */
export type TripRule = ConsecutiveFailuresRule | FailureRateRule;

/**
 * Opens the breaker after `n` failures in a row; any success starts the count again. The
 * default rule is `consecutiveFailures(5)`. Simple and right for low, steady traffic.
 *
 * @example
 * ```ts
 * import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
 *
 * const breaker = circuitBreaker({ name: 'billing', trip: consecutiveFailures(3) });
 * ```
 */
export function consecutiveFailures(n: number): ConsecutiveFailuresRule {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`consecutiveFailures: n must be a whole number >= 1; got ${describe(n)}`);
  }
  return Object.freeze({ kind: 'consecutiveFailures', failures: n });
}

/** Options of {@link failureRate}. */
export interface FailureRateOptions {
  /** Failure rate, from 0 (exclusive) to 1, that opens the breaker, e.g. 0.5 for half the calls. */
  readonly threshold: number;
  /** No decision before the window holds this many calls (default 10). */
  readonly minimumCalls?: number | undefined;
  /** `{ calls: n }` for the last n calls, or `{ ms: n, buckets?: k }` for the last n ms. */
  readonly window: RateWindow;
}

/**
 * Opens the breaker when, over the window, at least `minimumCalls` calls were made and the share
 * that failed reaches `threshold`. With `slowCall` in the breaker's options, calls slower than
 * its threshold form a second rate over the same window that trips it too.
 *
 * @example
 * ```ts
 * import { circuitBreaker, failureRate } from 'bulwark/breaker';
 *
 * // Half of the last 100 calls failed, counting only once 20 calls were seen.
 * const byCalls = failureRate({ threshold: 0.5, minimumCalls: 20, window: { calls: 100 } });
 * // Or over the last 30 s, in 10 buckets of 3 s.
 * const byTime = failureRate({ threshold: 0.5, minimumCalls: 20, window: { ms: 30_000 } });
 * const breaker = circuitBreaker({ name: 'search', trip: byTime });
 * ```
 */
export function failureRate(options: FailureRateOptions): FailureRateRule {
  const where = 'failureRate';
  checkOptionsObject(where, options);
  if (options === undefined) throw new TypeError(`${where}: options { threshold, window } are required`);
  checkKnownKeys(where, options, ['threshold', 'minimumCalls', 'window']);
  const { threshold, window } = options;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
    throw new RangeError(
      `${where}: option "threshold" must be a number above 0 and at most 1; got ${describe(threshold)}`,
    );
  }
  const minimumCalls = options.minimumCalls ?? 10;
  if (typeof minimumCalls !== 'number' || !Number.isInteger(minimumCalls) || minimumCalls < 1) {
    throw new RangeError(`${where}: option "minimumCalls" must be a whole number >= 1; got ${describe(minimumCalls)}`);
  }
  const bad = (detail: string) =>
    new TypeError(
      `${where}: option "window" must be { calls: n } or { ms: n, buckets?: k }; ${detail}; got ${describe(window)}`,
    );
  if (typeof window !== 'object' || window === null) throw bad('it is missing');
  let checked: RateWindow;
  if ('calls' in window) {
    checkKnownKeys(`${where} window`, window, ['calls']);
    if (!Number.isInteger(window.calls) || window.calls < 1 || window.calls > 1_000_000) {
      throw bad('calls must be a whole number from 1 to 1000000');
    }
    if (minimumCalls > window.calls) {
      throw new RangeError(
        `${where}: option "minimumCalls" (${minimumCalls}) cannot exceed window.calls (${window.calls}): the breaker could never trip`,
      );
    }
    checked = Object.freeze({ calls: window.calls });
  } else if ('ms' in window) {
    checkKnownKeys(`${where} window`, window, ['ms', 'buckets']);
    const buckets = window.buckets ?? 10;
    if (typeof window.ms !== 'number' || !(window.ms >= 1) || !Number.isFinite(window.ms)) {
      throw bad('ms must be a finite number >= 1');
    }
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1000)
      throw bad('buckets must be a whole number from 1 to 1000');
    checked = Object.freeze({ ms: window.ms, buckets });
  } else {
    throw bad('it has neither calls nor ms');
  }
  return Object.freeze({ kind: 'failureRate', threshold, minimumCalls, window: checked });
}

/** What the window holds now. */
export interface WindowCounts {
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
}

/** A breaker's own record of recent outcomes, built from its rule. @internal */
export interface OutcomeWindow {
  /** True when outcomes are kept by time, so recording one needs the clock. */
  readonly timed: boolean;
  /** What the window holds, independent of the thresholds: a rule of the same shape keeps it. */
  readonly shape: string;
  /** Takes new thresholds for the same shape, keeping every outcome. */
  retune(rule: TripRule, slowRate: number | undefined): void;
  /** The outcomes held, oldest first, one byte each (FAILED | SLOW); empty for a time window. */
  recent(): Uint8Array;
  /** Records one outcome at `now`; true when the rule says the breaker must open. */
  record(failure: boolean, slow: boolean, now: number): boolean;
  counts(now: number): WindowCounts;
  clear(): void;
}

class ConsecutiveWindow implements OutcomeWindow {
  readonly timed = false;
  readonly shape = 'consecutive';
  #run = 0;
  #calls = 0;
  #slow = 0;
  constructor(public limit: number) {}
  retune(rule: TripRule): void {
    if (rule.kind === 'consecutiveFailures') this.limit = rule.failures;
  }
  recent(): Uint8Array {
    return new Uint8Array(this.#run).fill(FAILED);
  }
  record(failure: boolean, slow: boolean): boolean {
    this.#calls++;
    if (slow) this.#slow++;
    this.#run = failure ? this.#run + 1 : 0;
    return this.#run >= this.limit;
  }
  counts(): WindowCounts {
    return { calls: this.#calls, failures: this.#run, slowCalls: this.#slow };
  }
  clear(): void {
    this.#run = 0;
    this.#calls = 0;
    this.#slow = 0;
  }
}

const FAILED = 1;
const SLOW = 2;

/** The last n calls, in a ring of bytes: one byte per call, counts kept as it turns. */
class CountWindow implements OutcomeWindow {
  readonly timed = false;
  readonly shape: string;
  readonly #ring: Uint8Array;
  #next = 0;
  #size = 0;
  #failures = 0;
  #slow = 0;
  constructor(
    size: number,
    public rule: FailureRateRule,
    public slowRate: number | undefined,
  ) {
    this.#ring = new Uint8Array(size);
    this.shape = `calls:${size}`;
  }
  retune(rule: TripRule, slowRate: number | undefined): void {
    if (rule.kind === 'failureRate') this.rule = rule;
    this.slowRate = slowRate;
  }
  recent(): Uint8Array {
    const ring = this.#ring;
    const out = new Uint8Array(this.#size);
    const start = this.#size === ring.length ? this.#next : 0;
    for (let i = 0; i < this.#size; i++) out[i] = ring[(start + i) % ring.length] ?? 0;
    return out;
  }
  record(failure: boolean, slow: boolean): boolean {
    const ring = this.#ring;
    if (this.#size === ring.length) {
      const old = ring[this.#next] ?? 0;
      if (old & FAILED) this.#failures--;
      if (old & SLOW) this.#slow--;
    } else {
      this.#size++;
    }
    ring[this.#next] = (failure ? FAILED : 0) | (slow ? SLOW : 0);
    if (failure) this.#failures++;
    if (slow) this.#slow++;
    this.#next = (this.#next + 1) % ring.length;
    return shouldTrip(this.rule, this.slowRate, this.#size, this.#failures, this.#slow);
  }
  counts(): WindowCounts {
    return { calls: this.#size, failures: this.#failures, slowCalls: this.#slow };
  }
  clear(): void {
    this.#ring.fill(0);
    this.#next = 0;
    this.#size = 0;
    this.#failures = 0;
    this.#slow = 0;
  }
}

/** The last `ms`, in k buckets that empty as time moves past them. */
class TimeWindow implements OutcomeWindow {
  readonly timed = true;
  readonly shape: string;
  readonly #calls: Float64Array;
  readonly #failures: Float64Array;
  readonly #slow: Float64Array;
  readonly #bucketMs: number;
  #epoch: number | undefined;
  constructor(
    ms: number,
    buckets: number,
    public rule: FailureRateRule,
    public slowRate: number | undefined,
  ) {
    this.#calls = new Float64Array(buckets);
    this.#failures = new Float64Array(buckets);
    this.#slow = new Float64Array(buckets);
    this.#bucketMs = ms / buckets;
    this.shape = `ms:${ms}/${buckets}`;
  }
  retune(rule: TripRule, slowRate: number | undefined): void {
    if (rule.kind === 'failureRate') this.rule = rule;
    this.slowRate = slowRate;
  }
  recent(): Uint8Array {
    // Counts by time bucket cannot be put in order: a window of another shape starts empty.
    return new Uint8Array(0);
  }
  #slot(epoch: number): number {
    const n = this.#calls.length;
    return ((epoch % n) + n) % n;
  }
  #roll(now: number): number {
    const epoch = Math.floor(now / this.#bucketMs);
    if (this.#epoch === undefined) this.#epoch = epoch;
    const passed = epoch - this.#epoch;
    if (passed > 0) {
      for (let i = 1; i <= Math.min(passed, this.#calls.length); i++) {
        const index = this.#slot(this.#epoch + i);
        this.#calls[index] = 0;
        this.#failures[index] = 0;
        this.#slow[index] = 0;
      }
      this.#epoch = epoch;
    }
    return this.#slot(this.#epoch);
  }
  record(failure: boolean, slow: boolean, now: number): boolean {
    const i = this.#roll(now);
    this.#calls[i] = (this.#calls[i] ?? 0) + 1;
    if (failure) this.#failures[i] = (this.#failures[i] ?? 0) + 1;
    if (slow) this.#slow[i] = (this.#slow[i] ?? 0) + 1;
    const { calls, failures, slowCalls } = this.counts(now);
    return shouldTrip(this.rule, this.slowRate, calls, failures, slowCalls);
  }
  counts(now: number): WindowCounts {
    this.#roll(now);
    let calls = 0;
    let failures = 0;
    let slowCalls = 0;
    for (let i = 0; i < this.#calls.length; i++) {
      calls += this.#calls[i] ?? 0;
      failures += this.#failures[i] ?? 0;
      slowCalls += this.#slow[i] ?? 0;
    }
    return { calls, failures, slowCalls };
  }
  clear(): void {
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.#slow.fill(0);
    this.#epoch = undefined;
  }
}

function shouldTrip(
  rule: FailureRateRule,
  slowRate: number | undefined,
  calls: number,
  failures: number,
  slow: number,
): boolean {
  if (calls < rule.minimumCalls) return false;
  return failures / calls >= rule.threshold || (slowRate !== undefined && slow / calls >= slowRate);
}

/**
 * Builds a breaker's window for `rule`; `slowRate` is the slow-call rate that also trips it.
 * Given the window a breaker had before a `configure`, it keeps what fits: the same window with
 * new thresholds when the shape is the same (consecutive, the same count, the same time span and
 * buckets), else a new window holding the most recent outcomes it has room for (a time window,
 * whose counts have no order, leaves the new one empty). Nothing trips while it is filled.
 *
 * @internal
 */
export function createWindow(rule: TripRule, slowRate: number | undefined, previous?: OutcomeWindow): OutcomeWindow {
  let window: OutcomeWindow;
  if (rule.kind === 'consecutiveFailures') window = new ConsecutiveWindow(rule.failures);
  else if ('calls' in rule.window) window = new CountWindow(rule.window.calls, rule, slowRate);
  else window = new TimeWindow(rule.window.ms, rule.window.buckets ?? 10, rule, slowRate);
  if (previous === undefined) return window;
  if (previous.shape === window.shape) {
    previous.retune(rule, slowRate);
    return previous;
  }
  const recent = previous.recent();
  if (!window.timed) {
    for (const outcome of recent) window.record((outcome & FAILED) !== 0, (outcome & SLOW) !== 0, 0);
  }
  return window;
}

/** True when `value` is a rule made by {@link consecutiveFailures} or {@link failureRate}. @internal */
export function isTripRule(value: unknown): value is TripRule {
  const kind = (value as TripRule | null)?.kind;
  return kind === 'consecutiveFailures' || kind === 'failureRate';
}
