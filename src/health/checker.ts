/**
 * The health checker: runs each check in the background on its own timer, keeps the latest
 * outcome, and publishes a snapshot (and the handler's bytes) whenever one changes. Reading the
 * status never runs a check, awaits, or allocates.
 */
import type { Server } from 'node:http';
import { wallClockNow } from '../core/clock.js';
import { describe, TimeoutError } from '../core/errors.js';
import { Emitter, type EventSource, type Unsubscribe } from '../core/listeners.js';
import { checkKnownKeys, checkOptionsObject, functionOption, msOption } from '../core/options.js';
import { createRedactor } from '../logger/redact/redactor.js';
import { drainServer, serverOption } from './drain.js';
import { createHandler, type HealthHandler, type HealthHandlerOptions } from './handler.js';
import {
  type CheckerSettings,
  type CheckSettings,
  checkerSettings,
  checkName,
  checkSettings,
  type HealthCheckerOptions,
  JITTER,
  type RegisterOptions,
} from './options.js';
import {
  failed,
  fromResolved,
  fromThrown,
  type HealthCheckResult,
  type Outcome,
  type Tracker,
  track,
} from './result.js';
import { buildSnapshot, type CheckView, type HealthGroup, type HealthSnapshot, type HealthStatus } from './snapshot.js';

/**
 * A health check: called with a signal that aborts when the run times out.
 * Resolving to nothing means `pass`; throwing means `fail` (the redacted message is the output).
 * `defaults` lets a ready-made check bring its own register options (e.g. `groups: ['liveness']`).
 */
export interface HealthCheck {
  // biome-ignore lint/suspicious/noConfusingVoidType: a check written `async () => {}` returns Promise<void>, which means pass
  (signal: AbortSignal): HealthCheckResult | undefined | void | PromiseLike<HealthCheckResult | undefined | void>;
  /** Register options this check suggests; options given to `register` win. */
  readonly defaults?: RegisterOptions | undefined;
}

/** The name aggregate `change` events carry, one per view: `'@all'` is every check. */
export type AggregateName = '@liveness' | '@readiness' | '@startup' | '@all';

/** A check, or an aggregate, changed status. */
export interface HealthChangeEvent {
  /** The check's name, or for an aggregate its view: `'@readiness'`, `'@liveness'`, `'@startup'`, `'@all'`. */
  readonly name: string;
  /** The status before (a check not run yet counts as `fail`). */
  readonly from: HealthStatus;
  /** The status now. */
  readonly to: HealthStatus;
  /** True for an aggregate (`name` starts with `@`, which check names cannot). */
  readonly aggregate: boolean;
}

/** Events of a {@link HealthChecker}. */
export interface HealthCheckerEvents {
  /** A check's status changed (as the every-check view shows it), or an aggregate's did. */
  change: HealthChangeEvent;
}

/** Options of `shutdown`. */
export interface ShutdownOptions {
  /** How long readiness reports `fail` before `shutdown` resolves, in ms (default 10000). */
  readonly drainMs?: number | undefined;
  /**
   * The application's node:http (or https) server, drained so that no request is dropped: while
   * draining, every response says `Connection: close`; at the end the server is closed (new
   * connections refused, idle sockets closed) and `shutdown` resolves once the requests in flight
   * have ended. Make `drainMs` longer than the server's `keepAliveTimeout` (5 s by default).
   */
  readonly server?: Server | undefined;
}

/** Options of `handleSignals`. */
export interface HandleSignalsOptions extends ShutdownOptions {
  /** The signals that start the drain (default `['SIGTERM']`). */
  readonly signals?: readonly NodeJS.Signals[] | undefined;
  /** Called after the drain, e.g. to close the server and the pools; awaited. */
  readonly onShutdown?: (() => unknown) | undefined;
  /** After `onShutdown`, send the signal again with the hook removed, so the process ends as it would have (default true). */
  readonly exit?: boolean | undefined;
}

/** A background health checker. Made by {@link createHealthChecker}. */
export interface HealthChecker extends EventSource<HealthCheckerEvents> {
  /**
   * Adds a check. The name must be unique (1 to 64 letters, digits, `_`, `.`, `-`); a bad name or
   * option throws here. Once started, a check added later runs at once. Returns the function
   * that removes it.
   */
  register(name: string, check: HealthCheck, options?: RegisterOptions): () => void;
  /** Runs every check now, then each on its own interval (with jitter). Calling it again does nothing. */
  start(): void;
  /**
   * Ends the loop at once: timers are cleared, the signals of runs in flight are aborted (their
   * results are not recorded) and the promise settles without waiting for any check or timeout,
   * so `await health.stop()` never hangs, on a FakeClock or a real one.
   */
  stop(): Promise<void>;
  /** The current snapshot of a view (no group: every check); the same frozen object until something changes. */
  status(group?: HealthGroup): HealthSnapshot;
  /** A `node:http` handler answering the probes from bytes built when the snapshot changed. */
  handler(options?: HealthHandlerOptions): HealthHandler;
  /**
   * Starts draining: readiness (and the every-check view) report `fail` at once, liveness is left
   * alone; after `drainMs` on the clock the loop stops and the promise resolves. Calling it again
   * returns the same promise.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** On SIGTERM (or `signals`): `shutdown`, then `onShutdown`, then exit. Returns the function that removes the hook; `stop()` removes it too. */
  handleSignals(options?: HandleSignalsOptions): () => void;
  /** True from `start()` until `stop()`. */
  readonly running: boolean;
  /** True once `shutdown()` was called. */
  readonly draining: boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Entry extends Mutable<CheckView> {
  readonly check: HealthCheck;
  readonly settings: CheckSettings;
  readonly tracker: Tracker;
  /** The check's own promise has not settled (it may have timed out already): no new run starts. */
  busy: boolean;
  timer: unknown;
  staleTimer: unknown;
  removed: boolean;
}

const VIEWS: ReadonlyArray<[HealthGroup | undefined, AggregateName]> = [
  ['liveness', '@liveness'],
  ['readiness', '@readiness'],
  ['startup', '@startup'],
  [undefined, '@all'],
];

/** What the every-check view shows for one check; `change` events are about this. */
function overall(entry: Entry): HealthStatus {
  return entry.reported === 'pending' || entry.stale ? 'fail' : entry.reported;
}

class Checker implements HealthChecker {
  readonly #s: CheckerSettings;
  readonly #redact: (text: string) => string;
  readonly #events = new Emitter<HealthCheckerEvents>();
  readonly #entries = new Map<string, Entry>();
  /** Ends a run in flight at once: aborts its signal, records nothing. */
  readonly #inFlight = new Set<(reason: unknown) => void>();
  readonly #snapshotListeners: Array<() => void> = [];
  readonly #signalHooks = new Set<() => void>();
  #snapshots = new Map<HealthGroup | undefined, HealthSnapshot>();
  #running = false;
  #draining = false;
  #shutdown: Promise<void> | undefined;

  constructor(settings: CheckerSettings) {
    this.#s = settings;
    const redactor = settings.redactor ?? createRedactor();
    this.#redact = (text) => {
      try {
        return String(redactor.redactString(text));
      } catch {
        return '[output withheld: the redactor failed]';
      }
    };
    this.#publish();
  }

  get running(): boolean {
    return this.#running;
  }

  get draining(): boolean {
    return this.#draining;
  }

  on<K extends keyof HealthCheckerEvents>(event: K, listener: (payload: HealthCheckerEvents[K]) => void): Unsubscribe {
    return this.#events.on(event, listener);
  }

  register(name: string, check: HealthCheck, options?: RegisterOptions): () => void {
    checkName(name, (n) => this.#entries.has(n));
    if (typeof check !== 'function') {
      throw new TypeError(
        `register("${name}"): check must be a function (signal) => result or promise; got ${describe(check)}`,
      );
    }
    const settings = checkSettings(name, options, check.defaults, this.#s);
    const entry: Entry = {
      name,
      check,
      settings,
      measurement: settings.measurement,
      critical: settings.critical,
      groups: settings.groups,
      staleAfterMs: settings.staleAfterMs,
      reported: 'pending',
      stale: false,
      output: undefined,
      observedValue: undefined,
      observedUnit: undefined,
      durationMs: null,
      lastRunAt: null,
      consecutiveFailures: 0,
      tracker: { reported: 'pending', consecutiveFailures: 0, consecutiveSuccesses: 0 },
      busy: false,
      timer: undefined,
      staleTimer: undefined,
      removed: false,
    };
    this.#entries.set(name, entry);
    this.#publish();
    if (this.#running) this.#begin(entry);
    return () => {
      if (entry.removed) return;
      entry.removed = true;
      this.#clearTimers(entry);
      this.#entries.delete(name);
      this.#publish();
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const entry of this.#entries.values()) this.#begin(entry);
  }

  async stop(): Promise<void> {
    this.#running = false;
    for (const entry of this.#entries.values()) this.#clearTimers(entry);
    for (const remove of [...this.#signalHooks]) remove();
    const reason = new DOMException('the health checker was stopped', 'AbortError');
    for (const cancel of [...this.#inFlight]) cancel(reason);
  }

  status(group?: HealthGroup): HealthSnapshot {
    const snapshot = this.#snapshots.get(group);
    if (snapshot === undefined) {
      throw new TypeError(
        `status: group must be 'liveness', 'readiness', 'startup' or undefined (every check); got ${describe(group)}`,
      );
    }
    return snapshot;
  }

  handler(options?: HealthHandlerOptions): HealthHandler {
    return createHandler(
      { status: (group) => this.status(group), onSnapshot: (listener) => this.#snapshotListeners.push(listener) },
      options,
    );
  }

  shutdown(options?: ShutdownOptions): Promise<void> {
    const drainMs = shutdownDrain('shutdown', options);
    const server = serverOption('shutdown', options?.server);
    if (this.#shutdown !== undefined) return this.#shutdown;
    this.#draining = true;
    this.#log('info', 'health: draining, readiness now fails', { drainMs });
    this.#publish();
    const drain = server === undefined ? undefined : drainServer(server);
    this.#shutdown = new Promise<void>((resolve) => {
      this.#s.clock.setTimeout(() => {
        void this.stop();
        if (drain === undefined) resolve();
        else void drain.close().then(resolve);
      }, drainMs);
    });
    return this.#shutdown;
  }

  handleSignals(options?: HandleSignalsOptions): () => void {
    const where = 'handleSignals';
    checkOptionsObject(where, options);
    checkKnownKeys(where, options ?? {}, ['signals', 'drainMs', 'server', 'onShutdown', 'exit']);
    const o = options ?? {};
    const drainMs = shutdownDrain(where, { drainMs: o.drainMs });
    const server = serverOption(where, o.server);
    const signals = o.signals ?? ['SIGTERM'];
    if (
      !Array.isArray(signals) ||
      signals.length === 0 ||
      signals.some((s) => typeof s !== 'string' || !/^SIG[A-Z0-9]+$/.test(s))
    ) {
      throw new TypeError(
        `${where}: option "signals" must be a non-empty array like ['SIGTERM', 'SIGINT']; got ${describe(signals)}`,
      );
    }
    const onShutdown = functionOption<() => unknown>(where, 'onShutdown', o.onShutdown, '() => void | Promise<void>');
    if (o.exit !== undefined && typeof o.exit !== 'boolean') {
      throw new TypeError(`${where}: option "exit" must be true or false; got ${describe(o.exit)}`);
    }
    const exit = o.exit ?? true;
    let handling = false;
    const listener = (signal: NodeJS.Signals) => {
      if (handling) return;
      handling = true;
      this.shutdown({ drainMs, server })
        .then(() => onShutdown?.())
        .catch((error: unknown) =>
          this.#log('warn', 'health: onShutdown failed', { error: fromThrown(error, this.#redact).output }),
        )
        .finally(() => {
          remove();
          if (exit) process.kill(process.pid, signal);
        });
    };
    const remove = () => {
      if (!this.#signalHooks.delete(remove)) return;
      for (const signal of signals) process.off(signal, listener);
    };
    for (const signal of signals) process.on(signal, listener);
    this.#signalHooks.add(remove);
    return remove;
  }

  /** First run now, next ones on the timer; a kept result gets its staleness timer back. */
  #begin(entry: Entry): void {
    if (entry.lastRunAt !== null && !entry.stale) this.#armStale(entry, entry.staleAfterMs);
    this.#schedule(entry);
    this.#run(entry);
  }

  #schedule(entry: Entry): void {
    const { clock } = this.#s;
    let r = 0.5;
    try {
      const value = this.#s.random();
      if (typeof value === 'number' && value >= 0 && value < 1) r = value;
    } catch {
      // A broken random source only costs the jitter.
    }
    const delay = entry.settings.intervalMs * (1 + JITTER * (2 * r - 1));
    entry.timer = clock.setTimeout(() => {
      entry.timer = undefined;
      if (!this.#running || entry.removed) return;
      this.#schedule(entry);
      this.#run(entry);
    }, delay);
  }

  #run(entry: Entry): void {
    // The last run's own promise is still pending (it timed out and ignored its signal): never overlap.
    if (entry.busy) return;
    entry.busy = true;
    const { clock } = this.#s;
    const { timeoutMs } = entry.settings;
    const started = clock.now();
    const controller = new AbortController();
    let finished = false;
    const end = (): boolean => {
      if (finished) return false;
      finished = true;
      clock.clearTimeout(timer);
      this.#inFlight.delete(cancel);
      return true;
    };
    const finish = (outcome: Outcome) => {
      if (end() && !entry.removed) this.#record(entry, outcome, clock.now() - started);
    };
    // stop(): the run ends now, unrecorded; the check's own promise may still settle later
    // (entry.busy keeps a restarted loop from overlapping it).
    const cancel = (reason: unknown) => {
      if (end()) controller.abort(reason);
    };
    this.#inFlight.add(cancel);
    const timer = clock.setTimeout(() => {
      controller.abort(new TimeoutError(`health check "${entry.name}" timed out after ${timeoutMs} ms`, { timeoutMs }));
      finish(failed(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(entry.check(controller.signal));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending
      .then(
        (value) => fromResolved(value, this.#redact),
        (error: unknown) => fromThrown(error, this.#redact),
      )
      .then((outcome) => {
        entry.busy = false;
        finish(outcome);
      })
      .catch(noop);
  }

  #record(entry: Entry, outcome: Outcome, durationMs: number): void {
    const before = overall(entry);
    entry.reported = track(
      entry.tracker,
      outcome.status,
      entry.settings.failureThreshold,
      entry.settings.successThreshold,
    );
    entry.consecutiveFailures = entry.tracker.consecutiveFailures;
    entry.output = outcome.output;
    entry.observedValue = outcome.observedValue;
    entry.observedUnit = outcome.observedUnit;
    entry.durationMs = durationMs;
    entry.lastRunAt = new Date(wallClockNow()).toISOString();
    entry.stale = false;
    if (this.#running) this.#armStale(entry, entry.staleAfterMs);
    this.#changed(entry, before);
  }

  #armStale(entry: Entry, ms: number): void {
    this.#s.clock.clearTimeout(entry.staleTimer);
    entry.staleTimer = this.#s.clock.setTimeout(() => {
      entry.staleTimer = undefined;
      if (entry.removed) return;
      const before = overall(entry);
      entry.stale = true;
      this.#changed(entry, before);
    }, ms);
  }

  #clearTimers(entry: Entry): void {
    this.#s.clock.clearTimeout(entry.timer);
    this.#s.clock.clearTimeout(entry.staleTimer);
    entry.timer = undefined;
    entry.staleTimer = undefined;
  }

  #changed(entry: Entry, before: HealthStatus): void {
    const after = overall(entry);
    if (after !== before) {
      this.#log(after === 'pass' ? 'info' : 'warn', `health check "${entry.name}": ${before} -> ${after}`, {
        check: entry.name,
        from: before,
        to: after,
        ...(entry.stale ? { output: 'stale' } : entry.output === undefined ? {} : { output: entry.output }),
      });
      this.#events.emit('change', { name: entry.name, from: before, to: after, aggregate: false });
    }
    this.#publish();
  }

  /** Recomputes every view, tells the handlers, then emits the aggregate changes. */
  #publish(): void {
    const previous = this.#snapshots;
    const generatedAt = new Date(wallClockNow()).toISOString();
    const all = [...this.#entries.values()];
    const next = new Map<HealthGroup | undefined, HealthSnapshot>();
    for (const [group] of VIEWS) next.set(group, buildSnapshot(all, group, this.#draining, generatedAt));
    this.#snapshots = next;
    for (const listener of this.#snapshotListeners) listener();
    for (const [group, name] of VIEWS) {
      const from = previous.get(group)?.status;
      const to = (next.get(group) as HealthSnapshot).status;
      if (from !== undefined && from !== to) this.#events.emit('change', { name, from, to, aggregate: true });
    }
  }

  #log(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void {
    try {
      this.#s.logger?.[level](message, fields);
    } catch {
      // A failing logger must not stop the checker.
    }
  }
}

function shutdownDrain(where: string, options: ShutdownOptions | undefined): number {
  checkOptionsObject(where, options);
  if (where === 'shutdown') checkKnownKeys(where, options ?? {}, ['drainMs', 'server']);
  const drainMs = options?.drainMs;
  return drainMs === undefined ? 10_000 : msOption(where, 'drainMs', drainMs, true);
}

function noop(): void {}

/**
 * Creates a health checker: register checks, `start()` it, serve `handler()` to your probes.
 * Checks run in the background on their own intervals and time out on their own; a probe is
 * answered from bytes computed when a result changed, so it costs microseconds even while a
 * dependency hangs.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createHealthChecker, eventLoopDelayCheck } from 'bulwark/health';
 *
 * const health = createHealthChecker({ intervalMs: 5000, timeoutMs: 2000 });
 * health.register('db', async (signal) => {
 *   await pool.query({ text: 'select 1', signal });
 * });
 * health.register('eventloop', eventLoopDelayCheck());
 * health.start();
 *
 * const probes = health.handler();
 * createServer((req, res) => probes(req, res, () => app(req, res))).listen(8080);
 * health.handleSignals({ drainMs: 10_000, onShutdown: () => server.close() });
 * ```
 */
export function createHealthChecker(options?: HealthCheckerOptions): HealthChecker {
  return new Checker(checkerSettings(options));
}
