/**
 * Turning whatever a check did (resolved, resolved to a result, threw, returned garbage) into one
 * outcome, and the threshold rule that keeps a flapping check from flapping the probe.
 */
import { describe } from '../core/errors.js';
import { readProp } from '../core/read.js';
import type { HealthStatus } from './snapshot.js';

/** What a check may resolve to; resolving to nothing means `pass`. */
export interface HealthCheckResult {
  /** `pass`, `warn` (healthy, with a concern) or `fail`. */
  readonly status: HealthStatus;
  /** A short human-readable note, shown in the health+json body (redacted first). */
  readonly output?: string | undefined;
  /** A measured value, e.g. a latency or a ratio; any JSON value. */
  readonly observedValue?: unknown;
  /** The unit of `observedValue`, e.g. `'ms'`, `'percent'`. */
  readonly observedUnit?: string | undefined;
}

/** One run's outcome, normalized. @internal */
export interface Outcome {
  readonly status: HealthStatus;
  readonly output: string | undefined;
  readonly observedValue: unknown;
  readonly observedUnit: string | undefined;
}

const STATUSES: readonly string[] = ['pass', 'warn', 'fail'];
const MAX_OUTPUT = 1024;

const PASS: Outcome = Object.freeze({
  status: 'pass',
  output: undefined,
  observedValue: undefined,
  observedUnit: undefined,
});

function clip(text: string): string {
  return text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT)}...` : text;
}

/** A failed outcome with `output` as given (already safe to show). @internal */
export function failed(output: string): Outcome {
  return { status: 'fail', output, observedValue: undefined, observedUnit: undefined };
}

function invalid(value: unknown, why: string): Outcome {
  return failed(
    `invalid check result (${why}): resolve to nothing or to { status: 'pass' | 'warn' | 'fail', output?, observedValue?, observedUnit? }; got ${describe(value)}`,
  );
}

/** What a check resolved to, as an outcome; anything not a valid result is a failure that says why. @internal */
export function fromResolved(value: unknown, redact: (text: string) => string): Outcome {
  if (value === undefined) return PASS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalid(value, 'not an object');
  const status = readProp(value, 'status');
  if (typeof status !== 'string' || !STATUSES.includes(status)) return invalid(value, `status ${describe(status)}`);
  const output = readProp(value, 'output');
  if (output !== undefined && typeof output !== 'string') return invalid(value, `output ${describe(output)}`);
  const observedUnit = readProp(value, 'observedUnit');
  if (observedUnit !== undefined && typeof observedUnit !== 'string') {
    return invalid(value, `observedUnit ${describe(observedUnit)}`);
  }
  let observedValue = readProp(value, 'observedValue');
  if (observedValue !== undefined) {
    // It goes into a JSON body: a value JSON cannot hold (a BigInt, a cycle) is refused here, once.
    try {
      const json = JSON.stringify(observedValue);
      observedValue = json === undefined ? undefined : JSON.parse(json);
    } catch {
      return invalid(value, 'observedValue is not JSON-serializable');
    }
  }
  return {
    status: status as HealthStatus,
    output: output === undefined ? undefined : clip(redact(output)),
    observedValue,
    observedUnit: observedUnit === undefined ? undefined : clip(observedUnit),
  };
}

/** A thrown value as a failure whose output is the redacted message. @internal */
export function fromThrown(error: unknown, redact: (text: string) => string): Outcome {
  let text: string;
  const message = readProp(error, 'message');
  if (typeof message === 'string') {
    const name = readProp(error, 'name');
    text = typeof name === 'string' && name !== 'Error' && name.length > 0 ? `${name}: ${message}` : message;
  } else {
    try {
      text = String(error);
    } catch {
      text = describe(error);
    }
  }
  return failed(clip(redact(text || 'check failed')));
}

/** The counters behind the threshold rule. @internal */
export interface Tracker {
  reported: HealthStatus | 'pending';
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

/**
 * Records one outcome and returns the status to report. The first outcome is taken as it is; after
 * that, a healthy check (pass or warn) turns `fail` only after `failureThreshold` failing runs in a
 * row, and a failing one recovers only after `successThreshold` healthy runs in a row.
 *
 * @internal
 */
export function track(
  tracker: Tracker,
  status: HealthStatus,
  failureThreshold: number,
  successThreshold: number,
): HealthStatus {
  if (status === 'fail') {
    tracker.consecutiveFailures++;
    tracker.consecutiveSuccesses = 0;
  } else {
    tracker.consecutiveSuccesses++;
    tracker.consecutiveFailures = 0;
  }
  const before = tracker.reported;
  let next: HealthStatus;
  if (before === 'pending') next = status;
  else if (before !== 'fail')
    next = status !== 'fail' || tracker.consecutiveFailures >= failureThreshold ? status : before;
  else next = status !== 'fail' && tracker.consecutiveSuccesses >= successThreshold ? status : 'fail';
  tracker.reported = next;
  return next;
}
