/**
 * Ready-made checks: the event loop's delay (is the process responsive), heap use (is it about to
 * run out of memory), and a dependency called through a policy (an open breaker fails the check
 * without calling anything).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { runAttempt } from '../core/attempt.js';
import { describe } from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject, intOption, msOption } from '../core/options.js';
import { compose, isPolicy, type Policy, type Work } from '../core/policy.js';
import { readProp } from '../core/read.js';
import type { HealthCheck } from './checker.js';
import type { HealthCheckResult } from './result.js';

/** Options of {@link eventLoopDelayCheck}. */
export interface EventLoopDelayOptions {
  /** p99 delay above which the check warns, in ms (default 200). */
  readonly warnMs?: number | undefined;
  /** p99 delay above which the check fails, in ms (default 1000). */
  readonly failMs?: number | undefined;
  /** Sampling resolution of the monitor, in ms (default 20). */
  readonly resolutionMs?: number | undefined;
}

/** A check that can also release what it holds. */
export interface ClosableHealthCheck extends HealthCheck {
  /** Stops the monitor behind the check; the check then reports the last window it saw. */
  close(): void;
}

function threshold(where: string, name: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : msOption(where, name, value);
}

/**
 * A liveness check on the event loop's delay (node:perf_hooks `monitorEventLoopDelay`): each run
 * reports the p99 delay since the previous run, in ms, and warns or fails above the thresholds.
 * Its defaults put it in the `liveness` group with the measurement `delay`. The monitor's timer
 * does not keep the process alive; `close()` stops it.
 *
 * @example
 * ```ts
 * import { createHealthChecker, eventLoopDelayCheck } from 'bulwark/health';
 *
 * const health = createHealthChecker();
 * health.register('eventloop', eventLoopDelayCheck({ warnMs: 100, failMs: 1000 }));
 * // /health/live -> "eventloop:delay": [{ "status": "pass", "observedValue": 10.4, "observedUnit": "ms" }]
 * ```
 */
export function eventLoopDelayCheck(options?: EventLoopDelayOptions): ClosableHealthCheck {
  const where = 'eventLoopDelayCheck';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, ['warnMs', 'failMs', 'resolutionMs']);
  const o = options ?? {};
  const warnMs = threshold(where, 'warnMs', o.warnMs, 200);
  const failMs = threshold(where, 'failMs', o.failMs, 1000);
  if (failMs < warnMs) {
    throw new RangeError(`${where}: "failMs" (${failMs}) must be at least "warnMs" (${warnMs})`);
  }
  const resolution = intOption(where, 'resolutionMs', o.resolutionMs, 20, 1, 10_000);
  const histogram = monitorEventLoopDelay({ resolution });
  histogram.enable();
  const check = (): HealthCheckResult => {
    // Nanoseconds; an empty window (no sample yet) reads as no delay. The monitor drops its first
    // delta after a reset, so one sample per interval is lost: a stall spanning a run is seen by the next.
    const p99 = histogram.count === 0 ? 0 : histogram.percentile(99) / 1e6;
    histogram.reset();
    const observedValue = Math.round(p99 * 10) / 10;
    if (p99 > failMs)
      return {
        status: 'fail',
        output: `event loop p99 delay ${observedValue} ms > ${failMs} ms`,
        observedValue,
        observedUnit: 'ms',
      };
    if (p99 > warnMs)
      return {
        status: 'warn',
        output: `event loop p99 delay ${observedValue} ms > ${warnMs} ms`,
        observedValue,
        observedUnit: 'ms',
      };
    return { status: 'pass', observedValue, observedUnit: 'ms' };
  };
  return Object.assign(check, {
    defaults: { groups: ['liveness'], measurement: 'delay' } as const,
    close: () => histogram.disable(),
  });
}

/** Options of {@link heapCheck}. */
export interface HeapCheckOptions {
  /** Share of the heap limit in use above which the check warns, in (0, 1] (default 0.85). */
  readonly warnRatio?: number | undefined;
  /** Share of the heap limit in use above which the check fails, in (0, 1] (default 0.95). */
  readonly failRatio?: number | undefined;
  /** Where the numbers come from (default `v8.getHeapStatistics`); for tests. */
  readonly heapStatistics?: (() => HeapNumbers) | undefined;
}

/** The two numbers of `v8.getHeapStatistics()` that {@link heapCheck} reads. */
export interface HeapNumbers {
  /** Bytes of the heap in use. */
  readonly used_heap_size: number;
  /** The most the heap may grow to, in bytes. */
  readonly heap_size_limit: number;
}

function ratio(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new RangeError(`${where}: option "${name}" must be a number above 0 and at most 1; got ${describe(value)}`);
  }
  return value;
}

/**
 * Heap use as a share of V8's heap limit, in percent (measurement `utilization`). It warns above
 * `warnRatio` and fails above `failRatio`; in the readiness group (the default), a process close
 * to running out of memory stops taking new traffic instead of being killed mid-request.
 *
 * @example
 * ```ts
 * import { createHealthChecker, heapCheck } from 'bulwark/health';
 *
 * const health = createHealthChecker();
 * health.register('heap', heapCheck({ warnRatio: 0.8, failRatio: 0.95 }), { critical: false });
 * ```
 */
export function heapCheck(options?: HeapCheckOptions): HealthCheck {
  const where = 'heapCheck';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, ['warnRatio', 'failRatio', 'heapStatistics']);
  const o = options ?? {};
  const warnRatio = ratio(where, 'warnRatio', o.warnRatio, 0.85);
  const failRatio = ratio(where, 'failRatio', o.failRatio, 0.95);
  if (failRatio < warnRatio) {
    throw new RangeError(`${where}: "failRatio" (${failRatio}) must be at least "warnRatio" (${warnRatio})`);
  }
  if (o.heapStatistics !== undefined && typeof o.heapStatistics !== 'function') {
    throw new TypeError(`${where}: option "heapStatistics" must be a function; got ${describe(o.heapStatistics)}`);
  }
  const read = o.heapStatistics ?? getHeapStatistics;
  const check = (): HealthCheckResult => {
    const { used_heap_size: used, heap_size_limit: limit } = read();
    const share = limit > 0 ? used / limit : 0;
    const observedValue = Math.round(share * 1000) / 10;
    const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
    if (share > failRatio)
      return { status: 'fail', output: `heap ${mb(used)} of ${mb(limit)}`, observedValue, observedUnit: 'percent' };
    if (share > warnRatio)
      return { status: 'warn', output: `heap ${mb(used)} of ${mb(limit)}`, observedValue, observedUnit: 'percent' };
    return { status: 'pass', observedValue, observedUnit: 'percent' };
  };
  return Object.assign(check, { defaults: { measurement: 'utilization' } as const });
}

/** The name of an open (or isolated) breaker anywhere in `policy`, read from its `state`. */
function openBreaker(policy: unknown, depth = 0): string | undefined {
  if (depth > 16) return undefined;
  const state = readProp(policy, 'state');
  if (state === 'open' || state === 'isolated') {
    const name = readProp(policy, 'name');
    return typeof name === 'string' ? name : 'circuit breaker';
  }
  const parts = readProp(policy, 'policies');
  if (Array.isArray(parts)) {
    for (const part of parts) {
      const found = openBreaker(part, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** A policy that runs the work as it is: what a breaker becomes for a health ping. */
const passThrough: Policy = {
  execute: (fn, options) => runAttempt(fn, options?.attempt ?? 1, options?.signal),
};

/**
 * `policy` with every circuit breaker in it (`kind: 'breaker'`) replaced by a pass-through: a
 * health ping must observe the breaker, never move it. Its failures would count toward tripping
 * the breaker real traffic goes through, and a ping in half-open would take the probe slot.
 */
function withoutBreakers(policy: Policy, depth = 0): Policy {
  if (depth > 16) return policy;
  if (readProp(policy, 'kind') === 'breaker') return passThrough;
  const parts = readProp(policy, 'policies');
  if (readProp(policy, 'kind') !== 'compose' || !Array.isArray(parts)) return policy;
  return compose(...parts.map((part: Policy) => withoutBreakers(part, depth + 1)));
}

/**
 * A dependency checked by a call made through `policy` (a breaker, a retry, a `compose(...)`):
 * the check's signal goes to the call, and a breaker in it that is open (or isolated) fails the
 * check at once, without calling the dependency. Breakers only report: the ping runs around
 * them, so its outcome never counts toward tripping one and never takes a half-open probe slot
 * (the timeouts and retries in `policy` still apply). The work's result is ignored unless it is
 * a health result (`{ status, ... }`).
 *
 * @example
 * ```ts
 * import { compose } from 'bulwark';
 * import { circuitBreaker } from 'bulwark/breaker';
 * import { timeout } from 'bulwark/timeout';
 * import { createHealthChecker, policyCheck } from 'bulwark/health';
 *
 * const payments = compose(circuitBreaker({ name: 'payments' }), timeout(1000));
 * const health = createHealthChecker();
 * health.register('payments', policyCheck(payments, ({ signal }) => fetch('https://payments.internal/ping', { signal })));
 * ```
 */
export function policyCheck(policy: Policy, work: Work<unknown>): HealthCheck {
  if (!isPolicy(policy)) {
    throw new TypeError(
      `policyCheck: policy must be a policy (an object with an execute method); got ${describe(policy)}`,
    );
  }
  if (typeof work !== 'function') {
    throw new TypeError(`policyCheck: work must be a function ({ signal }) => promise; got ${describe(work)}`);
  }
  const ping = withoutBreakers(policy);
  return async (signal: AbortSignal): Promise<HealthCheckResult | undefined> => {
    const open = openBreaker(policy);
    if (open !== undefined) return { status: 'fail', output: `circuit breaker "${open}" is open` };
    const value = await ping.execute(work, { signal });
    const status = readProp(value, 'status');
    return status === 'pass' || status === 'warn' || status === 'fail' ? (value as HealthCheckResult) : undefined;
  };
}
