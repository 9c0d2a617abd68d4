/**
 * Snapshots: what the checker knows, computed once when a result arrives (or goes stale, or the
 * service starts draining) and then read for free by `status()` and the HTTP handler.
 */

/** The three states of the IETF health+json draft: `warn` is healthy with a concern. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/**
 * Which probe a check answers. `liveness`: is the process itself working (a failure gets it
 * restarted). `readiness`: can it serve traffic now (a failure takes it out of the load
 * balancer). `startup`: has it finished starting.
 */
export type HealthGroup = 'liveness' | 'readiness' | 'startup';

/** One check as seen in a {@link HealthSnapshot}. */
export interface CheckSnapshot {
  /** The check's status as this view counts it (thresholds, staleness and "not run yet" applied). */
  readonly status: HealthStatus;
  /** The last run's output: its own text, the redacted error, or why it counts as failed. */
  readonly output?: string;
  /** The last run's `observedValue`, when it reported one. */
  readonly observedValue?: unknown;
  /** The unit of `observedValue`, e.g. `'ms'` or `'percent'`. */
  readonly observedUnit?: string;
  /** What the health+json key measures: the body's key is `name:measurement`. */
  readonly measurement: string;
  /** False when the check's failure only makes the whole `warn`. */
  readonly critical: boolean;
  /** How long the last run took, in milliseconds; null before the first run completes. */
  readonly durationMs: number | null;
  /** When the last run completed, ISO 8601; null before the first run completes. */
  readonly lastRunAt: string | null;
  /** Failing runs in a row (0 after any passing run). */
  readonly consecutiveFailures: number;
}

/** What `status(group?)` returns: frozen, shared, computed when a result changed. */
export interface HealthSnapshot {
  /** `fail` if a critical check fails; else `warn` if any check warns or a non-critical one fails; else `pass`. */
  readonly status: HealthStatus;
  /** Why the whole is not `pass`: `shutting down`, or the names of the checks failing and warning. */
  readonly output?: string;
  /** Every check of this view, by name. */
  readonly checks: Readonly<Record<string, CheckSnapshot>>;
  /** When this snapshot was computed, ISO 8601. */
  readonly generatedAt: string;
}

/** The state the checker keeps for one check, from which each view is computed. @internal */
export interface CheckView {
  readonly name: string;
  readonly measurement: string;
  readonly critical: boolean;
  readonly groups: readonly HealthGroup[];
  readonly staleAfterMs: number;
  /** The status after thresholds; `pending` until the first run completes. */
  readonly reported: HealthStatus | 'pending';
  readonly stale: boolean;
  readonly output: string | undefined;
  readonly observedValue: unknown;
  readonly observedUnit: string | undefined;
  readonly durationMs: number | null;
  readonly lastRunAt: string | null;
  readonly consecutiveFailures: number;
}

/**
 * The rule for the whole: a failing critical check fails it; a warning, or a failing non-critical
 * check, makes it `warn`; otherwise (no checks included) it passes.
 *
 * @internal
 */
export function aggregateStatus(
  checks: Iterable<{ readonly status: HealthStatus; readonly critical: boolean }>,
): HealthStatus {
  let result: HealthStatus = 'pass';
  for (const check of checks) {
    if (check.status === 'fail') {
      if (check.critical) return 'fail';
      result = 'warn';
    } else if (check.status === 'warn') result = 'warn';
  }
  return result;
}

/** The status a check shows in a view of `group` (undefined: every check). */
function viewStatus(check: CheckView, group: HealthGroup | undefined): { status: HealthStatus; output?: string } {
  if (check.reported === 'pending') {
    // The process is alive before its first check completes; it is not ready, nor started.
    return { status: group === 'liveness' ? 'pass' : 'fail', output: 'not checked yet' };
  }
  if (check.stale) {
    return { status: 'fail', output: `stale: no result for more than ${check.staleAfterMs} ms` };
  }
  return check.output === undefined ? { status: check.reported } : { status: check.reported, output: check.output };
}

/** Draining (after `shutdown()`) fails these views at once; liveness and startup are left alone. */
function drains(group: HealthGroup | undefined): boolean {
  return group === 'readiness' || group === undefined;
}

/** @internal */
export function buildSnapshot(
  all: readonly CheckView[],
  group: HealthGroup | undefined,
  draining: boolean,
  generatedAt: string,
): HealthSnapshot {
  const checks: Record<string, CheckSnapshot> = {};
  const failing: string[] = [];
  const warning: string[] = [];
  for (const check of all) {
    if (group !== undefined && !check.groups.includes(group)) continue;
    const { status, output } = viewStatus(check, group);
    if (status === 'fail') failing.push(check.name);
    else if (status === 'warn') warning.push(check.name);
    checks[check.name] = Object.freeze({
      status,
      ...(output === undefined ? {} : { output }),
      ...(check.observedValue === undefined ? {} : { observedValue: check.observedValue }),
      ...(check.observedUnit === undefined ? {} : { observedUnit: check.observedUnit }),
      measurement: check.measurement,
      critical: check.critical,
      durationMs: check.durationMs,
      lastRunAt: check.lastRunAt,
      consecutiveFailures: check.consecutiveFailures,
    });
  }
  let status = aggregateStatus(Object.values(checks));
  let output: string | undefined;
  if (draining && drains(group)) {
    status = 'fail';
    output = 'shutting down';
  } else if (status !== 'pass') {
    const parts = [];
    if (failing.length > 0) parts.push(`failing: ${failing.join(', ')}`);
    if (warning.length > 0) parts.push(`warning: ${warning.join(', ')}`);
    output = parts.join('; ');
  }
  return Object.freeze({
    status,
    ...(output === undefined ? {} : { output }),
    checks: Object.freeze(checks),
    generatedAt,
  });
}
