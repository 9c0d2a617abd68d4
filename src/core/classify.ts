/**
 * What is retried is decided here and nowhere else. Retry, the circuit breaker and anything a
 * user builds on them call {@link classify}; the table is in docs/core.md.
 */

import {
  CircuitOpenError,
  ConfigError,
  PermanentError,
  RejectedError,
  RetryableError,
  TimeoutError,
} from './errors.js';
import { readProp } from './read.js';

/** `'retryable'`: trying again may succeed. `'permanent'`: it cannot; fail now. */
export type ErrorClass = 'retryable' | 'permanent';

/** Options of {@link classify}. */
export interface ClassifyOptions {
  /** The caller's signal: when it is aborted, its reason is the caller giving up, so permanent. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Error codes of Node's sockets and DNS, and of undici (fetch), that mean "the network failed";
 * {@link classify} finds them on an error or anywhere on its `cause` chain.
 *
 * @example
 * ```ts
 * import { RETRYABLE_NETWORK_CODES } from 'bulwark';
 *
 * RETRYABLE_NETWORK_CODES.has('ECONNRESET'); // true
 * ```
 */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * HTTP statuses that say "try again later"; {@link classify} calls every other status permanent.
 *
 * @example
 * ```ts
 * import { RETRYABLE_HTTP_STATUSES } from 'bulwark';
 *
 * if (!res.ok && RETRYABLE_HTTP_STATUSES.has(res.status)) scheduleRetry();
 * ```
 */
export const RETRYABLE_HTTP_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

const PROGRAMMING_ERRORS = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError']);
const MAX_CAUSE_DEPTH = 8;

function isErrorLike(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

/**
 * The HTTP status an error carries on `status`, `statusCode` or `response.status` (an integer
 * from 100 to 599), as {@link classify} reads it; `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { httpStatusOf } from 'bulwark';
 *
 * httpStatusOf(Object.assign(new Error('Bad Gateway'), { response: { status: 502 } })); // 502
 * ```
 */
export function httpStatusOf(err: unknown): number | undefined {
  try {
    return statusOf(err);
  } catch {
    // A revoked Proxy, or one whose traps throw: it carries no status anyone can read.
    return undefined;
  }
}

function statusOf(err: unknown): number | undefined {
  for (const candidate of [
    readProp(err, 'status'),
    readProp(err, 'statusCode'),
    readProp(readProp(err, 'response'), 'status'),
  ]) {
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 100 && candidate <= 599) {
      return candidate;
    }
  }
  return undefined;
}

function hasNetworkCode(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth++) {
    const code = readProp(current, 'code');
    if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) return true;
    current = readProp(current, 'cause');
  }
  return false;
}

/** Browsers say "the network failed" only in the message of a TypeError, each in its own words. */
const BROWSER_FETCH_FAILURES = new Set([
  'Failed to fetch',
  'NetworkError when attempting to fetch resource.',
  'Load failed',
]);

function isFetchNetworkFailure(err: Error): boolean {
  const message = readProp(err, 'message');
  if (message === 'fetch failed') return readProp(err, 'cause') !== undefined;
  return typeof message === 'string' && BROWSER_FETCH_FAILURES.has(message);
}

function safeName(err: Error): string {
  const name = readProp(err, 'name');
  return typeof name === 'string' ? name : '';
}

/**
 * Decides whether a failure is worth retrying. The rules, first match wins:
 *
 * 1. Not an Error (a string, `undefined`, a plain object): permanent.
 * 2. `RetryableError`, bulwark's `TimeoutError`, or any error named `TimeoutError`
 *    (`AbortSignal.timeout()`): retryable. `PermanentError`, `ConfigError`, `CircuitOpenError`: permanent.
 *    Any other refusal (`RejectedError`: a full bulkhead, a rate limit): retryable, but only after
 *    its `retryAfterMs`, which retry always waits at least (it reads {@link retryAfterMs}), so a
 *    retry around a full bulkhead never spins.
 * 3. An abort by the caller: an error named `AbortError`, or the reason of `options.signal` once
 *    it is aborted: permanent.
 * 4. An HTTP status on `status`, `statusCode` or `response.status`: 408, 425, 429, 500, 502, 503,
 *    504 are retryable; any other status is permanent.
 * 5. A network error code (ECONNRESET, ECONNREFUSED, ETIMEDOUT, EPIPE, EAI_AGAIN, ENETUNREACH,
 *    EHOSTUNREACH, ECONNABORTED, UND_ERR_SOCKET, UND_ERR_CONNECT_TIMEOUT, UND_ERR_HEADERS_TIMEOUT,
 *    UND_ERR_BODY_TIMEOUT) on the error or anywhere on its `cause` chain: retryable.
 * 6. fetch's network failure: in Node a `TypeError` "fetch failed" with a `cause`; in browsers a
 *    `TypeError` "Failed to fetch" (Chromium), "NetworkError when attempting to fetch resource."
 *    (Firefox) or "Load failed" (Safari): retryable.
 * 7. Programming errors (`TypeError`, `RangeError`, `ReferenceError`, `SyntaxError`): permanent.
 * 8. Any other Error: retryable.
 *
 * It never throws, whatever it is given: a value that cannot even be inspected (a revoked Proxy,
 * a Proxy whose `get` or `getPrototypeOf` trap throws, or an object with one in its prototype
 * chain) is `'permanent'`, since nothing says trying again could help.
 *
 * @example
 * ```ts
 * import { classify, PermanentError } from 'bulwark';
 *
 * classify(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })); // 'retryable'
 * classify(Object.assign(new Error('Not Found'), { status: 404 })); // 'permanent'
 * classify(new PermanentError('bad input')); // 'permanent'
 * ```
 */
export function classify(err: unknown, options?: ClassifyOptions): ErrorClass {
  try {
    return classifyReadable(err, options);
  } catch {
    return 'permanent';
  }
}

function classifyReadable(err: unknown, options: ClassifyOptions | undefined): ErrorClass {
  if (!isErrorLike(err)) return 'permanent';
  if (err instanceof RetryableError || err instanceof TimeoutError) return 'retryable';
  if (err instanceof PermanentError || err instanceof ConfigError || err instanceof CircuitOpenError) {
    return 'permanent';
  }
  // A bulkhead or a rate limit said when to come back; retry waits that long (retryAfterMs).
  if (err instanceof RejectedError) return 'retryable';
  const name = safeName(err);
  if (name === 'TimeoutError') return 'retryable';
  if (name === 'AbortError') return 'permanent';
  const signal = options?.signal;
  if (signal?.aborted && signal.reason === err) return 'permanent';

  const status = httpStatusOf(err);
  if (status !== undefined) return RETRYABLE_HTTP_STATUSES.has(status) ? 'retryable' : 'permanent';
  if (hasNetworkCode(err)) return 'retryable';
  if (name === 'TypeError' && isFetchNetworkFailure(err)) return 'retryable';
  if (PROGRAMMING_ERRORS.has(name) || err instanceof TypeError || err instanceof RangeError) return 'permanent';
  if (err instanceof ReferenceError || err instanceof SyntaxError) return 'permanent';
  return 'retryable';
}

/**
 * `classify(err, options) === 'retryable'`: the default `shouldRetry` of retry and `isFailure`
 * of the circuit breaker.
 *
 * @example
 * ```ts
 * import { isRetryable } from 'bulwark';
 *
 * try {
 *   await send(job);
 * } catch (err) {
 *   if (isRetryable(err)) queue.requeue(job);
 *   else queue.deadLetter(job, err);
 * }
 * ```
 */
export function isRetryable(err: unknown, options?: ClassifyOptions): boolean {
  return classify(err, options) === 'retryable';
}
