/**
 * Observers of the health checker and the config watcher. Both are recognised by shape (their
 * modules may be absent from a build, and metrics imports no implementation), and read through
 * their public read-only members and events only.
 */
import type { Families } from './families.js';
import type { Observed } from './observe-policies.js';
import { CounterSeries } from './series.js';

/** The status of one health check. */
export type HealthCheckStatus = 'pass' | 'warn' | 'fail';

/** One check's last result, as `observe` reads it from a health checker's `status().checks`. */
export interface HealthCheckResultShape {
  /** Its status: pass, warn or fail. */
  readonly status: HealthCheckStatus;
  /** How long its last run took, in milliseconds. */
  readonly durationMs?: number | null | undefined;
}

/** What `observe` reads of a health checker's `status()`. */
export interface HealthStatusShape {
  /** Every check's last result, by check name. */
  readonly checks: Readonly<Record<string, HealthCheckResultShape>>;
}

/**
 * What `observe` needs of a health checker (`bulwark/health`): `status()` with every check's last
 * result, read when scraped, and `register` (which, with `status`, is how it is recognised).
 */
export interface HealthCheckerShape {
  /** The current snapshot; metrics reads `checks` only. */
  status(): HealthStatusShape;
  /** Adds a check; metrics never calls it. */
  register(...args: never[]): unknown;
}

/**
 * What `observe` needs of a config watcher (`bulwark/config`): `generation`, read when scraped,
 * and the `change` and `error` events, counted as reloads that succeeded and failed. `reload`
 * (with `generation`) is how it is recognised; metrics never calls it.
 */
export interface ConfigWatcherShape {
  /** Goes up by one with each change applied. */
  readonly generation: number;
  /** Loads the configuration again; metrics never calls it. */
  reload(): PromiseLike<unknown>;
  /** Subscribes to `change` (a new config applied); metrics reads no payload. */
  on(event: 'change', listener: () => void): () => void;
  /** Subscribes to `error` (a change refused); metrics reads no payload. */
  on(event: 'error', listener: () => void): () => void;
}

export function isHealthChecker(x: object): x is HealthCheckerShape {
  const h = x as Partial<Record<'status' | 'register', unknown>>;
  return typeof h.status === 'function' && typeof h.register === 'function';
}

export function isConfigWatcher(x: object): x is ConfigWatcherShape {
  const c = x as Partial<Record<'generation' | 'reload' | 'on', unknown>>;
  return typeof c.generation === 'number' && typeof c.reload === 'function' && typeof c.on === 'function';
}

export function observeHealth(checker: HealthCheckerShape, constant: Readonly<Record<string, string>>): Observed {
  return { observation: { constant, counters: [], durations: [], health: checker }, stop: () => {} };
}

export function observeConfig(
  f: Families,
  watcher: ConfigWatcherShape,
  constant: Readonly<Record<string, string>>,
): Observed {
  const success = new CounterSeries({ ...constant, result: 'success' });
  const failure = new CounterSeries({ ...constant, result: 'failure' });
  const offs = [
    watcher.on('change', () => {
      success.value++;
    }),
    watcher.on('error', () => {
      failure.value++;
    }),
  ];
  return {
    observation: {
      constant,
      counters: [
        [f.configReloads, success],
        [f.configReloads, failure],
      ],
      durations: [],
      config: watcher,
    },
    stop: () => {
      for (const off of offs) off();
    },
  };
}
