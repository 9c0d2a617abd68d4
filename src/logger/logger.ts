import { type Clock, wallClockNow } from '../core/clock.js';
import { describe } from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject } from '../core/options.js';
import { isThenable } from '../core/policy.js';
import { type LogContext, logContext } from './context.js';
import { LOG_LEVELS, type LogLevel, levelIndex } from './levels.js';
import {
  createRedactor,
  fieldsWriter,
  fragment,
  messageWriter,
  type Redactor,
  type RedactorOptions,
} from './redact/redactor.js';
import { isWritable, type Sink, stdoutSink, streamSink } from './sinks.js';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written (default: `LOG_LEVEL` from the environment when set, else `'info'`). */
  readonly level?: LogLevel | undefined;
  /** Written as `name` on every line. */
  readonly name?: string | undefined;
  /** Fields written on every line. */
  readonly bindings?: Readonly<Record<string, unknown>> | undefined;
  /** Redactor options, or a redactor to share. Redaction is always on. */
  readonly redact?: RedactorOptions | Redactor | undefined;
  /**
   * Where lines go (default: standard output): a {@link Sink}, or a Node `Writable` such as
   * `process.stderr` or a file stream, which gets one line (newline included) per record.
   */
  readonly sink?: Sink | undefined;
  /** Time source, read as epoch milliseconds (default: the wall clock); a `FakeClock` in tests. */
  readonly clock?: Pick<Clock, 'now'> | undefined;
}

/**
 * Fields given with one log call. `err` or `error` holding an Error is serialized, redacted.
 * A field named `time`, `level` or `msg` (or `name`, on a named logger) is written as `_time`,
 * `_level`, `_msg`, `_name`: a line never has two keys of one name.
 */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * One level's method. Both orders work: bulwark's `log.warn('retrying', { attempt })` and pino's
 * `log.warn({ attempt }, 'retrying')`; so do `log.warn('retrying')`, `log.warn({ attempt })` and
 * `log.error(err, 'upload failed')` (an Error first becomes the `err` field; its message is the
 * `msg` when none is given).
 */
export interface LogMethod {
  /** `log.info('user signed in', { user })`. */
  (message: string, fields?: LogFields): void;
  /** `log.info({ user }, 'user signed in')`, pino's order; `log.error(err, 'failed')`. */
  (fields: LogFields | Error, message?: string): void;
}

/** A structured logger writing one redacted JSON line per call. Made by {@link createLogger}. */
export interface Logger {
  /** The lowest level written; settable. */
  level: LogLevel;
  /** Logs at `trace`. */
  trace: LogMethod;
  /** Logs at `debug`. */
  debug: LogMethod;
  /** Logs at `info`. */
  info: LogMethod;
  /** Logs at `warn`. */
  warn: LogMethod;
  /** Logs at `error`. */
  error: LogMethod;
  /** Logs at `fatal`. */
  fatal: LogMethod;
  /** A logger that adds `bindings` to every line, sharing this one's sink and redactor. */
  child(bindings: LogFields): Logger;
  /** True when a call at `level` would be written. */
  isLevelEnabled(level: LogLevel): boolean;
  /** Waits until written lines have reached the sink's destination. */
  flush(): Promise<void>;
  /** Sink writes that failed so far (the first is also reported as a process warning). */
  readonly sinkFailures: number;
}

interface Shared {
  readonly sink: Sink;
  readonly redactor: Redactor;
  /** Writes a call's fields, redacted, as a line fragment (`,"a":1`) in one walk: see {@link fieldsWriter}. */
  readonly fields: ((fields: object) => string) | undefined;
  /** Writes the message, redacted, as JSON text. */
  readonly message: (text: string) => string;
  readonly now: () => number;
  /** The logger has a `name`, so `name` is a key of every line. */
  readonly named: boolean;
  failures: number;
  /** The last millisecond formatted, and its ISO string: lines in the same ms share it. */
  lastMs: number;
  lastIso: string;
}

function isoTime(shared: Shared): string {
  const ms = shared.now();
  if (ms !== shared.lastMs) {
    shared.lastMs = ms;
    shared.lastIso = new Date(ms).toISOString();
  }
  return shared.lastIso;
}

function isRedactor(value: unknown): value is Redactor {
  return typeof (value as Redactor | null)?.redact === 'function';
}

const UNSERIALIZABLE = ',"logError":"fields could not be serialized"';

function safeJson(value: unknown): string {
  try {
    return fragment(value);
  } catch {
    return UNSERIALIZABLE;
  }
}

/** Keys every line has; `name` joins them on a named logger. */
const RESERVED = ['time', 'level', 'msg'] as const;

/**
 * `fields` with any key the line itself writes renamed with a leading `_` (again until free):
 * JSON with duplicate keys is read differently by every parser, and most keep the last one, so
 * a field `level: 3` would replace the line's level. Only a colliding call pays for the copy.
 */
function unclash(fields: object, named: boolean): object {
  const has = (key: string) => Object.hasOwn(fields, key);
  if (!has('time') && !has('level') && !has('msg') && !(named && has('name'))) return fields;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    let k = key;
    if ((RESERVED as readonly string[]).includes(key) || (named && key === 'name')) {
      do k = `_${k}`;
      while (Object.hasOwn(fields, k) || Object.hasOwn(out, k));
    }
    out[k] = value;
  }
  return out;
}

/** The two call forms, read as `[message, fields]`. */
function callForm(first: unknown, second: unknown): [string, object | undefined] {
  if (typeof first === 'string') {
    return [first, typeof second === 'object' && second !== null ? second : undefined];
  }
  const message = typeof second === 'string' ? second : undefined;
  if (first instanceof Error) return [message ?? first.message, { err: first }];
  if (typeof first === 'object' && first !== null) return [message ?? '', first];
  return [message ?? String(first), undefined];
}

class JsonLogger implements Logger {
  readonly #shared: Shared;
  readonly #head: string;
  readonly #bindings: string;
  #min: number;

  constructor(shared: Shared, min: number, head: string, bindings: string) {
    this.#shared = shared;
    this.#min = min;
    this.#head = head;
    this.#bindings = bindings;
    // Bound once: `const { info } = log` and `emitter.on('x', log.warn)` work, as with pino.
    this.trace = this.trace.bind(this);
    this.debug = this.debug.bind(this);
    this.info = this.info.bind(this);
    this.warn = this.warn.bind(this);
    this.error = this.error.bind(this);
    this.fatal = this.fatal.bind(this);
  }

  get level(): LogLevel {
    return LOG_LEVELS[this.#min] as LogLevel;
  }

  set level(level: LogLevel) {
    const index = levelIndex(level);
    if (index === -1) throw levelError('level', level);
    this.#min = index;
  }

  get sinkFailures(): number {
    return this.#shared.failures;
  }

  isLevelEnabled(level: LogLevel): boolean {
    return levelIndex(level) >= this.#min;
  }

  trace(first: string | LogFields | Error, second?: string | LogFields): void {
    if (this.#min <= 0) this.#write('trace', first, second);
  }
  debug(first: string | LogFields | Error, second?: string | LogFields): void {
    if (this.#min <= 1) this.#write('debug', first, second);
  }
  info(first: string | LogFields | Error, second?: string | LogFields): void {
    if (this.#min <= 2) this.#write('info', first, second);
  }
  warn(first: string | LogFields | Error, second?: string | LogFields): void {
    if (this.#min <= 3) this.#write('warn', first, second);
  }
  error(first: string | LogFields | Error, second?: string | LogFields): void {
    if (this.#min <= 4) this.#write('error', first, second);
  }
  fatal(first: string | LogFields | Error, second?: string | LogFields): void {
    if (this.#min <= 5) this.#write('fatal', first, second);
  }

  child(bindings: LogFields): Logger {
    checkFields('child', bindings);
    if (bindings === undefined) return new JsonLogger(this.#shared, this.#min, this.#head, this.#bindings);
    const extra = safeJson(this.#shared.redactor.redact(unclash(bindings, this.#shared.named)));
    return new JsonLogger(this.#shared, this.#min, this.#head, this.#bindings + extra);
  }

  async flush(): Promise<void> {
    try {
      await this.#shared.sink.flush?.();
    } catch {
      this.#failed();
    }
  }

  #write(level: LogLevel, first: unknown, second: unknown): void {
    const shared = this.#shared;
    let line: string;
    try {
      const [text, given] = callForm(first, second);
      const fields = given === undefined ? undefined : unclash(given, shared.named);
      const context = logContext.getStore();
      line =
        `{"time":"${isoTime(shared)}","level":"${level}"${this.#head},"msg":` +
        shared.message(text) +
        (context === undefined ? '' : contextFragment(context)) +
        this.#bindings +
        (fields === undefined
          ? ''
          : shared.fields === undefined
            ? safeJson(shared.redactor.redact(fields))
            : safeFields(shared.fields, fields)) +
        '}';
    } catch {
      line = `{"level":"${level}","msg":"[log line could not be built]"}`;
    }
    try {
      const written = shared.sink.write(line);
      if (isThenable(written)) written.then(undefined, this.#sinkRejected);
    } catch {
      this.#failed();
    }
  }

  readonly #sinkRejected = (): void => this.#failed();

  #failed(): void {
    if (this.#shared.failures++ === 0) {
      process.emitWarning('a log sink failed; further failures are counted in logger.sinkFailures', {
        code: 'BULWARK_LOG_SINK',
      });
    }
  }
}

function safeFields(write: (fields: object) => string, fields: object): string {
  try {
    return write(fields);
  } catch {
    return UNSERIALIZABLE;
  }
}

const contextCache = new WeakMap<LogContext, string>();
function contextFragment(context: LogContext): string {
  let cached = contextCache.get(context);
  if (cached === undefined) {
    cached = safeJson(unclash(context.bindings, true));
    contextCache.set(context, cached);
  }
  return cached;
}

function levelError(name: string, value: unknown): RangeError {
  return new RangeError(
    `createLogger: ${name} must be one of ${LOG_LEVELS.map((l) => `'${l}'`).join(', ')}; got ${describe(value)}`,
  );
}

function checkFields(where: string, fields: unknown): void {
  if (
    fields !== undefined &&
    (typeof fields !== 'object' || fields === null || Array.isArray(fields) || fields instanceof Set)
  ) {
    throw new TypeError(`${where}: bindings must be an object of fields; got ${describe(fields)}`);
  }
}

const KNOWN = ['level', 'name', 'bindings', 'redact', 'sink', 'clock'] as const;

/**
 * A structured logger: every call writes one JSON line
 * `{"time","level","name","msg",...context,...bindings,...fields}` in which no password, token
 * or key survives (see {@link createRedactor}). A call below the level builds nothing. Lines
 * logged inside {@link withLogContext} carry its bindings. A failing sink never throws into the
 * caller: failures are counted in `sinkFailures` and the first is reported as a process warning.
 *
 * @example
 * ```ts
 * import { createLogger } from 'bulwark/logger';
 *
 * const log = createLogger({ name: 'api' });
 * log.info('user signed in', { user: 'ann', password: 'hunter2' });
 * // {"time":"2026-11-22T10:00:00.000Z","level":"info","name":"api","msg":"user signed in","user":"ann","password":"[REDACTED]"}
 * log.info({ user: 'ann' }, 'user signed in'); // pino's order writes the same line
 * const reqLog = log.child({ requestId: 'r-42' });
 * reqLog.error('upstream failed', { err });
 * ```
 */
export function createLogger(options?: LoggerOptions): Logger {
  const where = 'createLogger';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, KNOWN);
  const o = options ?? {};
  const envLevel = process.env.LOG_LEVEL;
  const level = o.level ?? (envLevel !== undefined && envLevel !== '' ? envLevel.toLowerCase() : 'info');
  const min = levelIndex(level);
  if (min === -1)
    throw levelError(o.level === undefined ? 'the LOG_LEVEL environment variable' : 'option "level"', level);
  if (o.name !== undefined && typeof o.name !== 'string') {
    throw new TypeError(`${where}: option "name" must be a string; got ${describe(o.name)}`);
  }
  checkFields(`${where}: option "bindings"`, o.bindings);
  if (o.sink !== undefined && typeof (o.sink as Sink | null)?.write !== 'function') {
    throw new TypeError(
      `${where}: option "sink" must be a Sink (an object with a write(line) method) or a Node Writable stream; got ${describe(o.sink)}`,
    );
  }
  if (o.clock !== undefined && typeof (o.clock as Clock | null)?.now !== 'function') {
    throw new TypeError(`${where}: option "clock" must have a now() method; got ${describe(o.clock)}`);
  }
  const redactor = isRedactor(o.redact) ? o.redact : createRedactor(o.redact as RedactorOptions | undefined);
  const clock = o.clock;
  const shared: Shared = {
    sink: o.sink === undefined ? stdoutSink() : isWritable(o.sink) ? streamSink(o.sink) : o.sink,
    redactor,
    fields: fieldsWriter(redactor),
    message: messageWriter(redactor),
    now: clock === undefined ? wallClockNow : () => clock.now(),
    named: o.name !== undefined,
    failures: 0,
    lastMs: Number.NaN,
    lastIso: '',
  };
  const head = o.name === undefined ? '' : `,"name":${JSON.stringify(redactor.redactString(o.name))}`;
  const bindings = o.bindings === undefined ? '' : safeJson(redactor.redact(unclash(o.bindings, shared.named)));
  return new JsonLogger(shared, min, head, bindings);
}

/**
 * Runs `fn` with `bindings` added to every line any logger writes inside it, across awaits and
 * callbacks (AsyncLocalStorage), so a request id set once reaches every line of the request.
 * Nested contexts add to the outer one.
 *
 * @example
 * ```ts
 * import { createLogger, withLogContext } from 'bulwark/logger';
 *
 * const log = createLogger();
 * server.on('request', (req, res) =>
 *   withLogContext({ requestId: req.headers['x-request-id'] }, () => handle(req, res)),
 * );
 * // inside handle(), log.info('...') lines carry "requestId"
 * ```
 */
export function withLogContext<T>(bindings: LogFields, fn: () => T): T {
  checkFields('withLogContext', bindings);
  if (typeof fn !== 'function') throw new TypeError(`withLogContext: fn must be a function; got ${describe(fn)}`);
  const outer = logContext.getStore();
  const context: LogContext = {
    bindings: { ...(outer?.bindings ?? {}), ...(contextRedactor.redact(bindings) as object) },
  };
  return logContext.run(context, fn);
}

const contextRedactor = createRedactor();
