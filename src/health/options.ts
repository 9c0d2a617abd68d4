/** The options of the checker and of `register`, checked once, with errors that say what is valid. */
import type { Clock } from '../core/clock.js';
import { describe } from '../core/errors.js';
import {
  checkKnownKeys,
  checkOptionsObject,
  clockOption,
  functionOption,
  intOption,
  msOption,
} from '../core/options.js';
import type { Redactor } from '../logger/redact/redactor.js';
import type { HealthGroup } from './snapshot.js';

/** Where the checker reports what it sees: bulwark's logger fits, and so does `console`. */
export interface HealthLogger {
  /** A check recovered, or the service started draining. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** A check started failing or warning. */
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Options of {@link createHealthChecker}. */
export interface HealthCheckerOptions {
  /** How often each check runs, in ms (default 5000); each wait gets +-10% jitter. */
  readonly intervalMs?: number | undefined;
  /** How long a run may take before it is failed and its signal aborted, in ms (default 2000). */
  readonly timeoutMs?: number | undefined;
  /** A result older than this counts as `fail`, in ms (default 3 x the check's interval, at least interval x 2.1 + timeout). */
  readonly staleAfterMs?: number | undefined;
  /** Where time and timers come from (default: the system clock, whose timers never keep the process alive). */
  readonly clock?: Clock | undefined;
  /** Source of jitter, returning [0, 1) (default `Math.random`). */
  readonly random?: (() => number) | undefined;
  /** Told when a check changes status, and when draining starts. */
  readonly logger?: HealthLogger | undefined;
  /** Redacts error messages and outputs before they are shown (default: `createRedactor()`). */
  readonly redactor?: Pick<Redactor, 'redactString'> | undefined;
}

/** Options of `register`; the check's own `defaults` fill what is not given. */
export interface RegisterOptions {
  /** False: this check failing makes the whole `warn`, not `fail` (default true). */
  readonly critical?: boolean | undefined;
  /** This check's interval, in ms (default: the checker's). */
  readonly intervalMs?: number | undefined;
  /** This check's timeout, in ms (default: the checker's). */
  readonly timeoutMs?: number | undefined;
  /** This check's staleness limit, in ms (default: the checker's, or 3 x this check's interval). */
  readonly staleAfterMs?: number | undefined;
  /** The probes it counts for (default `['readiness']`). */
  readonly groups?: readonly HealthGroup[] | undefined;
  /** Failing runs in a row before a healthy check reports `fail` (default 1). */
  readonly failureThreshold?: number | undefined;
  /** Healthy runs in a row before a failing check reports healthy again (default 1). */
  readonly successThreshold?: number | undefined;
  /** What the check measures: the body's key is `name:measurement` (default `'status'`). */
  readonly measurement?: string | undefined;
}

/** @internal */
export interface CheckerSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly staleAfterMs: number | undefined;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: HealthLogger | undefined;
  readonly redactor: Pick<Redactor, 'redactString'> | undefined;
}

/** @internal */
export interface CheckSettings {
  readonly critical: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly staleAfterMs: number;
  readonly groups: readonly HealthGroup[];
  readonly failureThreshold: number;
  readonly successThreshold: number;
  readonly measurement: string;
}

/** Jitter is +-10% of the interval, so the longest wait is 1.1 x interval. @internal */
export const JITTER = 0.1;
const GROUPS: readonly HealthGroup[] = ['liveness', 'readiness', 'startup'];
const CHECKER_OPTIONS = ['intervalMs', 'timeoutMs', 'staleAfterMs', 'clock', 'random', 'logger', 'redactor'] as const;
const REGISTER_OPTIONS = [
  'critical',
  'intervalMs',
  'timeoutMs',
  'staleAfterMs',
  'groups',
  'failureThreshold',
  'successThreshold',
  'measurement',
] as const;
/** Check names become JSON keys, log fields and metric labels: keep them plain. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MEASUREMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** @internal */
export function checkerSettings(options: HealthCheckerOptions | undefined): CheckerSettings {
  const where = 'createHealthChecker';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, CHECKER_OPTIONS);
  const o = options ?? {};
  const logger = o.logger;
  if (
    logger !== undefined &&
    (typeof logger !== 'object' ||
      logger === null ||
      typeof logger.info !== 'function' ||
      typeof logger.warn !== 'function')
  ) {
    throw new TypeError(
      `${where}: option "logger" must have info(message, fields) and warn(message, fields) methods (bulwark's logger or console); got ${describe(logger)}`,
    );
  }
  const redactor = o.redactor;
  if (
    redactor !== undefined &&
    (typeof redactor !== 'object' || redactor === null || typeof redactor.redactString !== 'function')
  ) {
    throw new TypeError(
      `${where}: option "redactor" must have a redactString(text) method (createRedactor() from bulwark/logger); got ${describe(redactor)}`,
    );
  }
  return {
    intervalMs: o.intervalMs === undefined ? 5000 : msOption(where, 'intervalMs', o.intervalMs),
    timeoutMs: o.timeoutMs === undefined ? 2000 : msOption(where, 'timeoutMs', o.timeoutMs),
    staleAfterMs: o.staleAfterMs === undefined ? undefined : msOption(where, 'staleAfterMs', o.staleAfterMs),
    clock: clockOption(where, o.clock),
    random: functionOption<() => number>(where, 'random', o.random, '() => number in [0, 1)') ?? Math.random,
    logger,
    redactor,
  };
}

/** @internal */
export function checkName(name: unknown, taken: (name: string) => boolean): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(
      `register: name must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit; got ${describe(name)}`,
    );
  }
  if (taken(name)) throw new TypeError(`register("${name}"): a check named "${name}" is registered already`);
  return name;
}

/** @internal */
export function checkSettings(
  name: string,
  given: RegisterOptions | undefined,
  defaults: RegisterOptions | undefined,
  checker: CheckerSettings,
): CheckSettings {
  const where = `register("${name}")`;
  checkOptionsObject(where, given);
  checkKnownKeys(where, given ?? {}, REGISTER_OPTIONS);
  const o: RegisterOptions = { ...defaults, ...stripUndefined(given ?? {}) };
  if (o.critical !== undefined && typeof o.critical !== 'boolean') {
    throw new TypeError(`${where}: option "critical" must be true or false; got ${describe(o.critical)}`);
  }
  const intervalMs = o.intervalMs === undefined ? checker.intervalMs : msOption(where, 'intervalMs', o.intervalMs);
  const timeoutMs = o.timeoutMs === undefined ? checker.timeoutMs : msOption(where, 'timeoutMs', o.timeoutMs);
  const longestGap = intervalMs * (1 + JITTER) + timeoutMs;
  const staleGiven =
    o.staleAfterMs === undefined ? checker.staleAfterMs : msOption(where, 'staleAfterMs', o.staleAfterMs);
  // The default is 3 x interval, or one interval more than the longest gap between two results when
  // the timeout is long next to the interval.
  const staleAfterMs = staleGiven ?? Math.max(3 * intervalMs, longestGap + intervalMs);
  if (staleAfterMs <= longestGap) {
    throw new RangeError(
      `${where}: staleAfterMs (${staleAfterMs}) must be more than intervalMs x 1.1 + timeoutMs (${longestGap}), or results would go stale between two runs; raise staleAfterMs or lower intervalMs`,
    );
  }
  const groups = o.groups ?? ['readiness'];
  if (
    !Array.isArray(groups) ||
    groups.length === 0 ||
    groups.some((g) => !GROUPS.includes(g)) ||
    new Set(groups).size !== groups.length
  ) {
    throw new TypeError(
      `${where}: option "groups" must be a non-empty array of distinct 'liveness', 'readiness', 'startup'; got ${describe(groups)}${Array.isArray(groups) ? ` ${JSON.stringify(groups)}` : ''}`,
    );
  }
  const measurement = o.measurement ?? 'status';
  if (typeof measurement !== 'string' || !MEASUREMENT.test(measurement)) {
    throw new TypeError(
      `${where}: option "measurement" must be 1 to 64 letters, digits, "_", "." or "-"; got ${describe(measurement)}`,
    );
  }
  return {
    critical: o.critical ?? true,
    intervalMs,
    timeoutMs,
    staleAfterMs,
    groups: Object.freeze([...groups]),
    failureThreshold: intOption(where, 'failureThreshold', o.failureThreshold, 1, 1, 1000),
    successThreshold: intOption(where, 'successThreshold', o.successThreshold, 1, 1, 1000),
    measurement,
  };
}

function stripUndefined(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
