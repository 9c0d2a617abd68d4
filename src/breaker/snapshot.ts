import { describe } from '../core/errors.js';

/** The format tag of a breaker snapshot. */
export const SNAPSHOT_FORMAT = 'bulwark.circuit-breaker';
/** The snapshot version this copy of bulwark writes and reads. */
export const SNAPSHOT_VERSION = 1;

/**
 * A breaker's state as plain JSON, from `breaker.toJSON()`, to restore with
 * `circuitBreaker({ ..., initialState })` after a restart. The failure window is not part of it:
 * a breaker restored closed starts with a clean window.
 */
export interface CircuitBreakerSnapshot {
  /** Always `'bulwark.circuit-breaker'`. */
  readonly format: typeof SNAPSHOT_FORMAT;
  /** The snapshot format's version; another version is refused. */
  readonly version: typeof SNAPSHOT_VERSION;
  /** The breaker's name. */
  readonly name: string;
  /** Its state when saved. An isolated breaker is saved as what it would be without isolation. */
  readonly state: 'closed' | 'open' | 'half-open';
  /** When open: the milliseconds it had left before probing. 0 otherwise. */
  readonly openRemainingMs: number;
  /** How many times in a row it has opened (drives `openBackoff`). */
  readonly consecutiveOpens: number;
}

/** Checks every field of a snapshot, so that a bad one is refused whole, never half applied. @internal */
export function checkSnapshot(value: unknown, name: string): CircuitBreakerSnapshot {
  const fail = (why: string): never => {
    throw new TypeError(`circuitBreaker: option "initialState" is not a snapshot this version can restore: ${why}`);
  };
  if (typeof value !== 'object' || value === null)
    return fail(`expected an object from breaker.toJSON(), got ${describe(value)}`);
  const s = value as Record<string, unknown>;
  if (s.format !== SNAPSHOT_FORMAT) return fail(`format is ${describe(s.format)}, expected "${SNAPSHOT_FORMAT}"`);
  if (s.version !== SNAPSHOT_VERSION)
    return fail(`version is ${describe(s.version)}, this bulwark reads version ${SNAPSHOT_VERSION}`);
  if (s.name !== name) return fail(`it belongs to breaker ${describe(s.name)}, not "${name}"`);
  if (s.state !== 'closed' && s.state !== 'open' && s.state !== 'half-open') {
    return fail(`state is ${describe(s.state)}, expected "closed", "open" or "half-open"`);
  }
  const remaining = s.openRemainingMs;
  if (typeof remaining !== 'number' || !(remaining >= 0) || !Number.isFinite(remaining)) {
    return fail(`openRemainingMs is ${describe(remaining)}, expected a finite number >= 0`);
  }
  const opens = s.consecutiveOpens;
  if (typeof opens !== 'number' || !Number.isInteger(opens) || opens < 0) {
    return fail(`consecutiveOpens is ${describe(opens)}, expected a whole number >= 0`);
  }
  const extra = Object.keys(s).filter(
    (k) => !['format', 'version', 'name', 'state', 'openRemainingMs', 'consecutiveOpens'].includes(k),
  );
  if (extra.length > 0) return fail(`unknown field ${extra.map((k) => `"${k}"`).join(', ')}`);
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    name,
    state: s.state,
    openRemainingMs: remaining,
    consecutiveOpens: opens,
  };
}
