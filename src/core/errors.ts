/**
 * The error family every bulwark module throws. Each class has a stable `code`, supports
 * `{ cause }`, and answers `instanceof` for errors made by another copy of the package (two
 * versions in one `node_modules`, or a bundled copy): the check reads a brand stored under
 * `Symbol.for`, not the prototype chain alone.
 */

const KINDS: unique symbol = Symbol.for('bulwark.error.kinds') as never;
const KIND: unique symbol = Symbol.for('bulwark.error.kind') as never;
/** Node's `util.inspect.custom`, reached without importing `node:util` (core runs anywhere). */
const INSPECT: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/** The stable `code` of each bulwark error class. */
export type ResilienceErrorCode =
  | 'ERR_RESILIENCE'
  | 'ERR_RETRYABLE'
  | 'ERR_PERMANENT'
  | 'ERR_TIMEOUT'
  | 'ERR_REJECTED'
  | 'ERR_CIRCUIT_OPEN'
  | 'ERR_BULKHEAD_FULL'
  | 'ERR_RATE_LIMITED'
  | 'ERR_HTTP'
  | 'ERR_CONFIG';

type Branded = { readonly [KINDS]?: readonly string[] };

function hasKind(value: unknown, kind: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const kinds = (value as Branded)[KINDS];
  return Array.isArray(kinds) && kinds.includes(kind);
}

/** Gives `cls` a kind name and records it, with its parents' kinds, on its prototype. @internal */
export function brand(cls: abstract new (...args: never[]) => object, kind: string): void {
  const parentKinds = (Object.getPrototypeOf(cls.prototype) as Branded)[KINDS] ?? [];
  Object.defineProperty(cls, KIND, { value: kind });
  Object.defineProperty(cls.prototype, KINDS, { value: Object.freeze([...parentKinds, kind]) });
  Object.defineProperty(cls.prototype, 'name', { value: kind, writable: true, configurable: true });
}

function checkRetryAfter(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `${where}: option "retryAfterMs" must be a finite number of milliseconds >= 0; got ${describe(value)}`,
    );
  }
  return value;
}

/**
 * Makes an error without capturing a stack trace: for refusals, which happen exactly when a
 * service is overloaded, and whose frames would say only "refused here". The error is still a
 * real Error (`Error.isError`, `util.types.isNativeError`); its `stack` is its first line.
 *
 * @internal
 */
export function withoutStack<E>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number') return make();
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * A promise that rejects with `error` one microtask from now, once the caller has attached its
 * handler: a promise rejected with no handler yet goes through the runtime's unhandled-rejection
 * bookkeeping, which costs more than the rest of a refusal.
 *
 * @internal
 */
export function rejectSoon<T>(error: unknown): Promise<T> {
  return new Promise<T>((_, reject) => queueMicrotask(() => reject(error)));
}

/** `42 (number)`, `"abc" (string)`: how option errors show the value they refused. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  const type = Array.isArray(value) ? 'array' : typeof value;
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' ? type : String(value);
  } catch {
    shown = type;
  }
  return shown === type ? type : `${shown} (${type})`;
}

/** Options every bulwark error accepts. */
export interface ResilienceErrorOptions {
  /** The error that led to this one; kept on `cause`. */
  readonly cause?: unknown;
}

/**
 * Base class of every error bulwark throws. Check for it with `instanceof` or
 * {@link isResilienceError}; switch on `code` for the kind.
 *
 * @example
 * ```ts
 * import { ResilienceError } from 'bulwark';
 *
 * try {
 *   await policy.execute(() => callUpstream());
 * } catch (err) {
 *   if (err instanceof ResilienceError) console.warn(err.code, err.message);
 *   throw err;
 * }
 * ```
 */
export class ResilienceError extends Error {
  /** Stable identifier of the error's kind, safe to switch on and to use as a metric label. */
  readonly code: ResilienceErrorCode = 'ERR_RESILIENCE';

  constructor(message: string, options?: ResilienceErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }

  /** Matches instances of this class from any copy of bulwark, and subclasses made by users. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class on the right of instanceof: a subclass must answer for itself.
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const kind = Object.hasOwn(this, KIND) ? (this as unknown as Record<symbol, string>)[KIND] : undefined;
    return kind !== undefined && hasKind(value, kind);
  }
}
brand(ResilienceError, 'ResilienceError');

/** Options of {@link RetryableError}. */
export interface RetryableErrorOptions extends ResilienceErrorOptions {
  /** How long the failing side asked us to wait before trying again, in milliseconds. */
  readonly retryAfterMs?: number | undefined;
}

/**
 * Throw it to say "this failure is transient: try again". Retry always retries it, and waits
 * at least `retryAfterMs` when it is set.
 *
 * @example
 * ```ts
 * import { RetryableError } from 'bulwark';
 *
 * if (res.status === 429) {
 *   throw new RetryableError('rate limited', { retryAfterMs: 2000 });
 * }
 * ```
 */
export class RetryableError extends ResilienceError {
  override readonly code: ResilienceErrorCode = 'ERR_RETRYABLE';
  /** Minimum wait before the next attempt, in milliseconds, when the failing side said so. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: RetryableErrorOptions) {
    super(message, options);
    this.retryAfterMs = checkRetryAfter(options?.retryAfterMs, 'RetryableError');
  }
}
brand(RetryableError, 'RetryableError');

/**
 * Throw it to say "trying again cannot help" (bad input, not found, forbidden). Retry gives up
 * at once and a circuit breaker does not count it as a failure of the dependency.
 *
 * @example
 * ```ts
 * import { PermanentError } from 'bulwark';
 *
 * if (res.status === 404) throw new PermanentError(`no user ${id}`);
 * ```
 */
export class PermanentError extends ResilienceError {
  override readonly code: ResilienceErrorCode = 'ERR_PERMANENT';
}
brand(PermanentError, 'PermanentError');

/** Options of {@link TimeoutError}. */
export interface TimeoutErrorOptions extends ResilienceErrorOptions {
  /** The time limit that ran out, in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * The work did not finish within its time limit. The timeout policy creates it only when time
 * runs out, and aborts the work's signal with it. It is retryable.
 *
 * @example
 * ```ts
 * import { TimeoutError } from 'bulwark';
 *
 * try {
 *   await timeout(500).execute(({ signal }) => fetch(url, { signal }));
 * } catch (err) {
 *   if (err instanceof TimeoutError) console.warn(`gave up after ${err.timeoutMs} ms`);
 * }
 * ```
 */
export class TimeoutError extends ResilienceError {
  override readonly code: ResilienceErrorCode = 'ERR_TIMEOUT';
  /** The time limit that ran out, in milliseconds. */
  readonly timeoutMs: number;

  constructor(message: string | undefined, options: TimeoutErrorOptions) {
    super(message ?? `timed out after ${options.timeoutMs} ms`, options);
    this.timeoutMs = options.timeoutMs;
  }
}
brand(TimeoutError, 'TimeoutError');

/** Options of {@link RejectedError} and every refusal under it. */
export interface RejectedErrorOptions extends ResilienceErrorOptions {
  /** Name of the policy that refused the call. */
  readonly policy: string;
  /** Milliseconds until the policy may let a call through again; 0 when it may already. */
  readonly retryAfterMs: number;
}

/**
 * A policy refused the call without running it: an open circuit, a full bulkhead, a rate limit.
 * Refusals happen on the overload path, so every one of them names the `policy` that refused
 * and says when to come back (`retryAfterMs`); `classify` and `retryAfterMs` key on this parent.
 *
 * @example
 * ```ts
 * import { RejectedError } from 'bulwark';
 *
 * try {
 *   await policy.execute(() => callUpstream());
 * } catch (err) {
 *   if (err instanceof RejectedError) console.warn(`${err.policy} refused; back in ${err.retryAfterMs} ms`);
 *   throw err;
 * }
 * ```
 */
export class RejectedError extends ResilienceError {
  override readonly code: ResilienceErrorCode = 'ERR_REJECTED';
  /** Name of the policy that refused the call. */
  readonly policy: string;
  /** Milliseconds until the policy may let a call through again; 0 when it may already. */
  readonly retryAfterMs: number;

  constructor(options: RejectedErrorOptions, message?: string) {
    const retryAfterMs = checkRetryAfter(options.retryAfterMs, 'RejectedError') ?? 0;
    super(message ?? `"${options.policy}" refused the call; retry in ${Math.ceil(retryAfterMs)} ms`, options);
    this.policy = options.policy;
    this.retryAfterMs = retryAfterMs;
  }
}
brand(RejectedError, 'RejectedError');

/** Options of {@link CircuitOpenError}. */
export interface CircuitOpenErrorOptions extends ResilienceErrorOptions {
  /** Name of the breaker that refused the call. */
  readonly breaker: string;
  /** Milliseconds until the breaker lets a probe through; 0 when it is probing already. */
  readonly retryAfterMs: number;
}

/**
 * A circuit breaker refused the call without running it, because its dependency is failing.
 * It is permanent for retry: retrying into an open breaker only burns attempts.
 *
 * @example
 * ```ts
 * import { CircuitOpenError } from 'bulwark';
 *
 * try {
 *   await breaker.execute(() => callUpstream());
 * } catch (err) {
 *   if (err instanceof CircuitOpenError) return cachedValue; // fail fast, serve stale
 *   throw err;
 * }
 * ```
 */
export class CircuitOpenError extends RejectedError {
  override readonly code: ResilienceErrorCode = 'ERR_CIRCUIT_OPEN';
  /** Name of the breaker that refused the call (the same as `policy`). */
  readonly breaker: string;

  constructor(options: CircuitOpenErrorOptions, message?: string) {
    const retryAfterMs = checkRetryAfter(options.retryAfterMs, 'CircuitOpenError') ?? 0;
    super(
      { policy: options.breaker, retryAfterMs, cause: options.cause },
      message ?? `circuit breaker "${options.breaker}" is open; retry in ${Math.ceil(retryAfterMs)} ms`,
    );
    this.breaker = options.breaker;
  }
}
brand(CircuitOpenError, 'CircuitOpenError');

/**
 * A bulkhead refused the call: `limit` calls were running and its queue was full, or the call
 * waited in the queue past `queueTimeoutMs`. Retryable, but only after `retryAfterMs`: the
 * bulkhead's estimate of when its next place frees (mean call duration over the limit, >= 1 ms).
 * It carries no stack trace, since refusals happen under overload.
 *
 * @example
 * ```ts
 * import { BulkheadRejectedError } from 'bulwark';
 *
 * try {
 *   await pool.execute(() => render(page));
 * } catch (err) {
 *   if (err instanceof BulkheadRejectedError) return tooBusy(err.retryAfterMs);
 *   throw err;
 * }
 * ```
 */
export class BulkheadRejectedError extends RejectedError {
  override readonly code: ResilienceErrorCode = 'ERR_BULKHEAD_FULL';

  constructor(options: RejectedErrorOptions, message?: string) {
    super(options, message ?? `bulkhead "${options.policy}" is full`);
  }
}
brand(BulkheadRejectedError, 'BulkheadRejectedError');

/**
 * A rate limiter refused the call: no permit was free, and none would be within `maxWaitMs`.
 * `retryAfterMs` is exact: a call made that much later gets a permit (if nobody takes it first).
 *
 * @example
 * ```ts
 * import { RateLimitedError } from 'bulwark';
 *
 * try {
 *   await limiter.execute(() => callProvider());
 * } catch (err) {
 *   if (err instanceof RateLimitedError) console.warn(`over the limit; next permit in ${err.retryAfterMs} ms`);
 *   throw err;
 * }
 * ```
 */
export class RateLimitedError extends RejectedError {
  override readonly code: ResilienceErrorCode = 'ERR_RATE_LIMITED';

  constructor(options: RejectedErrorOptions, message?: string) {
    super(options, message ?? `rate limit "${options.policy}" reached; retry in ${Math.ceil(options.retryAfterMs)} ms`);
  }
}
brand(RateLimitedError, 'RateLimitedError');

/** One problem found in a configuration. */
export interface ConfigIssue {
  /** Dotted path of the setting, e.g. `db.url`; empty for the whole config. */
  readonly path: string;
  /** Where the value came from, e.g. `env APP_DB__URL`, `file config/app.yaml:12`, `default`. */
  readonly source: string;
  /** What is wrong, never including a secret value. */
  readonly message: string;
}

/**
 * The configuration is invalid. `issues` lists every problem found, not just the first, and the
 * message is a readable list of them. It is permanent: the same config fails the same way.
 *
 * @example
 * ```ts
 * import { ConfigError } from 'bulwark';
 *
 * throw new ConfigError([
 *   { path: 'db.url', source: 'env APP_DB__URL', message: 'Required' },
 * ]);
 * // message: "invalid configuration (1 problem):\n  - db.url (env APP_DB__URL): Required"
 * ```
 */
export class ConfigError extends ResilienceError {
  override readonly code: ResilienceErrorCode = 'ERR_CONFIG';
  /** Every problem found, in the order they were found. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: ResilienceErrorOptions) {
    const list = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
    const lines = list.map((i) => `  - ${i.path || '(root)'}${i.source ? ` (${i.source})` : ''}: ${i.message}`);
    const count = `${list.length} problem${list.length === 1 ? '' : 's'}`;
    super(`invalid configuration (${count}):\n${lines.join('\n')}`, options);
    this.issues = list;
    // Not enumerable: Node prints an uncaught error's enumerable fields after its stack, and
    // `issues` would repeat the list the message already holds.
    Object.defineProperty(this, 'issues', { enumerable: false });
    Object.defineProperty(this, 'code', { enumerable: false });
  }

  /** How `util.inspect` and `console.log` show it: the list once, without the stack frames. */
  [INSPECT](): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}
brand(ConfigError, 'ConfigError');

/**
 * True for any error thrown by bulwark, from this copy of the package or another.
 *
 * @example
 * ```ts
 * import { isResilienceError } from 'bulwark';
 *
 * if (isResilienceError(err)) metrics.count(err.code);
 * ```
 */
export function isResilienceError(value: unknown): value is ResilienceError {
  return hasKind(value, 'ResilienceError');
}
