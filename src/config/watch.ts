/**
 * Hot reload: watch the files' directories, and on a change read -> parse -> validate -> diff ->
 * swap. An invalid change never replaces `current`: it emits `error` and the last good config
 * keeps serving until a valid change comes.
 */
import type { $ZodType } from 'zod/v4/core';
import type { Clock } from '../core/clock.js';
import { commitAll, prepareConfigure } from '../core/configure.js';
import { ConfigError, describe } from '../core/errors.js';
import { Emitter, type EventSource, type Unsubscribe } from '../core/listeners.js';
import { clockOption, msOption } from '../core/options.js';
import { type ConfigChange, diffConfig } from './diff.js';
import { DirectoryWatch } from './dir-watch.js';
import { freezeConfig } from './freeze.js';
import { type Config, type Evaluation, evaluate } from './load.js';
import { type CheckedOptions, checkLoadOptions, type LoadConfigOptions } from './options.js';
import { readConfigFile } from './read-file.js';

/** Options of {@link watchConfig}: the loader's, plus how to watch. */
export interface WatchConfigOptions<S extends $ZodType = $ZodType> extends LoadConfigOptions<S> {
  /** Quiet time after the last file event before reloading, so a burst of writes is read once (default 100). */
  readonly debounceMs?: number | undefined;
  /**
   * Poll the files every this many ms instead of using file-system events (for file systems where
   * events do not arrive, such as some network mounts). Also the interval used when watching fails
   * (default 1000 then).
   */
  readonly pollMs?: number | undefined;
  /** The clock for the debounce and polling (default: the system clock). */
  readonly clock?: Clock | undefined;
}

/** What `change` listeners get: the new config, the one it replaced, and what changed. */
export interface ConfigChangeEvent<S extends $ZodType = $ZodType> {
  /** The config now in `current`. */
  readonly config: Config<S>;
  /** The config it replaced. */
  readonly previous: Config<S>;
  /** Every setting that changed, secret values masked. */
  readonly changes: readonly ConfigChange[];
  /** The watcher's generation after this change. */
  readonly generation: number;
}

/** Events of a {@link ConfigWatcher}. */
export interface ConfigWatcherEvents<S extends $ZodType = $ZodType> {
  /** A valid change was applied. */
  change: ConfigChangeEvent<S>;
  /** A change was refused; `current` is unchanged. */
  error: ConfigError;
}

/** What {@link ConfigWatcher.reload} resolves to. */
export interface ReloadResult {
  /** True when the config changed and was swapped in. */
  readonly applied: boolean;
  /** The generation after the reload. */
  readonly generation: number;
  /** What changed (empty when nothing did). */
  readonly changes: readonly ConfigChange[];
}

/** A result in the shape the health checker reads. */
export interface ConfigHealth {
  /**
   * `warn` while the last reload failed, or while the files cannot be watched (the watcher then
   * polls them); `pass` otherwise.
   */
  readonly status: 'pass' | 'warn';
  /** The failed reload's problems (secrets masked), or why watching failed. */
  readonly output?: string;
  /** The config's generation. */
  readonly observedValue: number;
  /** Always `'generation'`. */
  readonly observedUnit: string;
}

/** A configuration that follows its files. Made by {@link watchConfig}. */
export interface ConfigWatcher<S extends $ZodType = $ZodType> extends EventSource<ConfigWatcherEvents<S>> {
  /** The last good config, deeply frozen. Read it where you use it, so a reload is seen. */
  readonly current: Config<S>;
  /** 1 at start, plus one for every change applied. */
  readonly generation: number;
  /** The error of the last reload when it failed; undefined once a reload succeeds. */
  readonly lastError: ConfigError | undefined;
  /** Reads the sources now (the environment too); rejects with `ConfigError` when they are invalid. */
  reload(): Promise<ReloadResult>;
  /**
   * A check for the health checker: `warn` while the last reload failed, with its problems, and
   * while the files cannot be watched (with why, and the polling that stands in).
   */
  healthCheck(): () => Promise<ConfigHealth>;
  /**
   * Keeps `target` (a policy, a composed pipeline, a `policies()` registry: anything with
   * `configure`) configured from the section `select` picks: configured now (throwing if the
   * section is refused), and on every reload, where the section is validated by the target
   * **before** the config is swapped in. A section the target refuses makes the whole reload
   * refused, exactly like one the schema refuses: an `error` event, `lastError`, a `warn` health
   * check, and no policy changed. Returns the function that unbinds.
   */
  bind<T>(select: (config: Config<S>) => T, target: ConfigTarget<T>): Unsubscribe;
  /** Stops watching and polling; nothing is left open. */
  close(): Promise<void>;
}

/** What {@link ConfigWatcher.bind} keeps configured: a policy, a pipeline, a registry. */
export interface ConfigTarget<T> {
  /** Applies `settings`, or throws and changes nothing. */
  configure(settings: T): void;
}

interface Binding<S extends $ZodType> {
  readonly select: (config: Config<S>) => unknown;
  readonly target: object;
}

const WATCH_KEYS = ['debounceMs', 'pollMs', 'clock'] as const;
const DEFAULT_POLL_MS = 1000;

class Watcher<S extends $ZodType> extends Emitter<ConfigWatcherEvents<S>> implements ConfigWatcher<S> {
  readonly #options: CheckedOptions;
  readonly #clock: Clock;
  readonly #debounceMs: number;
  readonly #pollMs: number | undefined;
  #current: Config<S>;
  #generation = 1;
  #lastError: ConfigError | undefined;
  /** What the files held at the last read, valid or not: events that change nothing are dropped. */
  #seen: Map<string, string | null>;
  #directories: DirectoryWatch | undefined;
  /** Why file events cannot be used, while the watcher polls in their place. */
  #cannotWatch: string | undefined;
  #debounce: unknown;
  #poll: unknown;
  #polling = false;
  #closed = false;
  readonly #bindings = new Set<Binding<S>>();

  constructor(options: CheckedOptions, clock: Clock, debounceMs: number, pollMs: number | undefined) {
    super();
    this.#options = options;
    this.#clock = clock;
    this.#debounceMs = debounceMs;
    this.#pollMs = pollMs;
    const first = evaluate(options);
    if (!first.valid) throw new ConfigError(first.issues);
    this.#current = freezeConfig(first.output, first.masking) as Config<S>;
    this.#seen = first.contents;
    if (pollMs !== undefined) this.#startPolling();
    else this.#watch();
  }

  get current(): Config<S> {
    return this.#current;
  }

  get generation(): number {
    return this.#generation;
  }

  get lastError(): ConfigError | undefined {
    return this.#lastError;
  }

  async reload(): Promise<ReloadResult> {
    if (this.#closed) throw new Error('ConfigWatcher.reload: the watcher is closed');
    const outcome = this.#apply();
    if (outcome instanceof ConfigError) throw outcome;
    return outcome;
  }

  healthCheck(): () => Promise<ConfigHealth> {
    return async () => {
      const error = this.#lastError;
      const base = { observedValue: this.#generation, observedUnit: 'generation' };
      if (error) return { status: 'warn', output: error.message, ...base };
      const cannot = this.#cannotWatch;
      if (cannot !== undefined) {
        const every = this.#pollMs ?? DEFAULT_POLL_MS;
        return {
          status: 'warn',
          output: `cannot watch the config files: ${cannot}; polling every ${every} ms`,
          ...base,
        };
      }
      return { status: 'pass', ...base };
    };
  }

  bind<T>(select: (config: Config<S>) => T, target: ConfigTarget<T>): Unsubscribe {
    const where = 'watchConfig.bind';
    if (typeof select !== 'function') {
      throw new TypeError(`${where}: select must be a function (config) => section; got ${describe(select)}`);
    }
    commitAll([prepareConfigure(target, select(this.#current), where)]);
    const binding: Binding<S> = { select, target };
    this.#bindings.add(binding);
    return () => {
      this.#bindings.delete(binding);
    };
  }

  async close(): Promise<void> {
    this.#bindings.clear();
    this.#closed = true;
    if (this.#debounce !== undefined) this.#clock.clearTimeout(this.#debounce);
    if (this.#poll !== undefined) this.#clock.clearTimeout(this.#poll);
    this.#debounce = undefined;
    this.#poll = undefined;
    this.#directories?.close();
    this.#directories = undefined;
  }

  /** Read, validate, diff, swap. Returns the error (already emitted) instead of throwing. */
  #apply(): ReloadResult | ConfigError {
    let evaluation: Evaluation;
    try {
      evaluation = evaluate(this.#options);
    } catch (error) {
      // The loader reports bad config as issues; anything thrown here is unexpected (a read error
      // past the loader, a schema that throws). It is refused like an invalid change.
      const issue = { path: '', source: 'reload', message: `reload failed: ${describe(error)}` };
      return this.#refuse(new ConfigError([issue], { cause: error }));
    }
    this.#seen = evaluation.contents;
    // Includes may have come or gone: watch the directories of the files read this time.
    if (this.#directories) {
      const problem = this.#directories.follow(evaluation.contents.keys());
      if (problem !== undefined) this.#fallBackToPolling(problem);
    }
    if (!evaluation.valid) return this.#refuse(new ConfigError(evaluation.issues));
    this.#lastError = undefined;
    const changes = diffConfig(this.#current, evaluation.output, evaluation.masking);
    if (changes.length === 0) return { applied: false, generation: this.#generation, changes: [] };
    const next = freezeConfig(evaluation.output, evaluation.masking) as Config<S>;
    // Every bound policy checks its section before anything changes: one refusal refuses it all.
    let commits: Array<(epoch: number) => void>;
    try {
      commits = [...this.#bindings].map(({ select, target }) => prepareConfigure(target, select(next), 'bind'));
    } catch (error) {
      const message = `the bound policies refused the new settings: ${error instanceof Error ? error.message : describe(error)}`;
      return this.#refuse(new ConfigError([{ path: '', source: 'bind', message }], { cause: error }));
    }
    const previous = this.#current;
    this.#current = next;
    commitAll(commits);
    this.#generation++;
    this.emit('change', { config: next, previous, changes, generation: this.#generation });
    return { applied: true, generation: this.#generation, changes };
  }

  /** True when a file read last time now holds other bytes (or appeared, or went away). */
  #filesChanged(): boolean {
    return !sameContents(this.#seen, readAll(this.#seen));
  }

  #refuse(error: ConfigError): ConfigError {
    this.#lastError = error;
    this.emit('error', error);
    return error;
  }

  #schedule = (): void => {
    if (this.#closed) return;
    if (this.#debounce !== undefined) this.#clock.clearTimeout(this.#debounce);
    this.#debounce = this.#clock.setTimeout(() => {
      this.#debounce = undefined;
      // Most events change no byte (a touch, the second event of a rename): only a change is parsed.
      if (!this.#closed && this.#filesChanged()) this.#apply();
    }, this.#debounceMs);
  };

  /** Watches the files' directories, or polls instead when it cannot. */
  #watch(): void {
    const problem = this.#tryWatch();
    if (problem !== undefined) this.#fallBackToPolling(problem);
  }

  /** Starts watching the files' directories; returns why it cannot. */
  #tryWatch(): string | undefined {
    const directories = new DirectoryWatch(this.#schedule, (reason) => this.#fallBackToPolling(reason));
    const problem = directories.follow(this.#seen.keys());
    if (problem !== undefined) {
      directories.close();
      return problem;
    }
    this.#directories = directories;
    return undefined;
  }

  #fallBackToPolling(reason: string): void {
    if (this.#closed) return;
    this.#cannotWatch = reason;
    this.#directories?.close();
    this.#directories = undefined;
    if (!this.#polling) this.#startPolling();
  }

  #startPolling(): void {
    this.#polling = true;
    const every = this.#pollMs ?? DEFAULT_POLL_MS;
    const tick = (): void => {
      this.#poll = undefined;
      if (this.#closed) return;
      if (this.#filesChanged()) this.#schedule();
      // Polling in place of events: go back to events as soon as the directories can be watched.
      if (this.#cannotWatch !== undefined && this.#pollMs === undefined) {
        const problem = this.#tryWatch();
        if (problem === undefined) {
          this.#cannotWatch = undefined;
          this.#polling = false;
          return;
        }
        this.#cannotWatch = problem;
      }
      this.#poll = this.#clock.setTimeout(tick, every);
    };
    this.#poll = this.#clock.setTimeout(tick, every);
  }
}

function readAll(files: Map<string, string | null>): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const file of files.keys()) {
    try {
      // The loader's own reader: a file turned into a FIFO must not block the comparison either.
      out.set(file, readConfigFile(file));
    } catch {
      out.set(file, null);
    }
  }
  return out;
}

function sameContents(a: Map<string, string | null>, b: Map<string, string | null>): boolean {
  if (a.size !== b.size) return false;
  for (const [file, text] of a) if (b.get(file) !== text) return false;
  return true;
}

/**
 * Loads the config like {@link loadConfig} (throwing `ConfigError` if it is invalid at start) and
 * keeps it current: file changes are debounced, read, validated and swapped in whole, or refused
 * with an `error` event while the last good config keeps serving.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { watchConfig } from 'bulwark/config';
 *
 * const config = watchConfig({
 *   schema: z.object({ rateLimit: z.int().positive(), logLevel: z.enum(['info', 'debug']) }),
 *   files: ['/etc/app/config.yaml'],
 * });
 * config.on('change', ({ changes }) => log.info({ changes }, 'config reloaded'));
 * config.on('error', (err) => log.warn({ issues: err.issues }, 'config change refused'));
 * app.use((req, res, next) => limit(config.current.rateLimit, req, res, next));
 * process.on('SIGTERM', () => config.close());
 * ```
 */
export function watchConfig<S extends $ZodType>(options: WatchConfigOptions<S>): ConfigWatcher<S> {
  const where = 'watchConfig';
  const checked = checkLoadOptions(where, options, WATCH_KEYS);
  const debounceMs = options.debounceMs === undefined ? 100 : msOption(where, 'debounceMs', options.debounceMs, true);
  const pollMs = options.pollMs === undefined ? undefined : msOption(where, 'pollMs', options.pollMs);
  return new Watcher<S>(checked, clockOption(where, options.clock), debounceMs, pollMs);
}
