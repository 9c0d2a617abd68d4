import { wallClockNow } from './clock.js';
import { RejectedError, RetryableError } from './errors.js';
import { readProp } from './read.js';

/**
 * The longest wait {@link retryAfterMs} ever returns (24 h): a server asking for more is
 * misconfigured, and a timer cannot hold much more (2^31 - 1 ms is about 24.8 days).
 *
 * @example
 * ```ts
 * import { MAX_RETRY_AFTER_MS } from 'bulwark';
 *
 * MAX_RETRY_AFTER_MS; // 86_400_000
 * ```
 */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** Options of {@link retryAfterMs}. */
export interface RetryAfterOptions {
  /** Wall-clock epoch milliseconds an HTTP-date `Retry-After` is measured from (default: now). */
  readonly now?: number | undefined;
}

/** Reads one header from a plain object, a `Headers`, or a `Map`, case-insensitively. */
function header(headers: unknown, name: string): unknown {
  if (typeof headers !== 'object' || headers === null) return undefined;
  try {
    if (headers instanceof Map) {
      for (const [key, value] of headers) if (typeof key === 'string' && key.toLowerCase() === name) return value;
      return undefined;
    }
    const get = readProp(headers, 'get');
    if (typeof get === 'function') return (get as (n: string) => unknown).call(headers, name);
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) return (headers as Record<string, unknown>)[key];
    }
  } catch {
    // A hostile headers object must not make the caller's error handling throw.
  }
  return undefined;
}

function clamp(ms: number): number | undefined {
  // A value too big to hold (9 repeated 400 times is Infinity) is still a request to wait long.
  if (Number.isNaN(ms)) return undefined;
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}

function parseRetryAfter(raw: unknown, now: number): number | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value === 'number') return clamp(value * 1000);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return clamp(Number(text) * 1000);
  // An HTTP date always has a day or month name; this keeps Date.parse from reading "-5" as a year.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : clamp(date - now);
}

function parseMs(raw: unknown): number | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  const ms = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  return typeof ms === 'number' ? clamp(ms) : undefined;
}

/**
 * How long the failing side asked the caller to wait, in milliseconds, or `undefined` when it
 * did not say. Read from, in order: `RetryableError.retryAfterMs`; `RejectedError.retryAfterMs`
 * (an open breaker, a full bulkhead, a rate limit: the time until it may let a call through); a `retry-after-ms` header; a
 * `Retry-After` header (delta seconds or an HTTP date) on the error's `headers` or
 * `response.headers`, given as a plain object, a `Headers` or a `Map`. The result is never
 * negative or NaN (a date in the past gives 0) and never more than 24 hours (a value that overflows
 * gives the 24 hours). It never throws: an error that cannot be inspected (a revoked Proxy, a Proxy
 * whose traps throw) gives `undefined`.
 *
 * @example
 * ```ts
 * import { retryAfterMs } from 'bulwark';
 *
 * const err = Object.assign(new Error('Too Many Requests'), {
 *   status: 429,
 *   headers: { 'retry-after': '3' },
 * });
 * retryAfterMs(err); // 3000
 * ```
 */
export function retryAfterMs(err: unknown, options?: RetryAfterOptions): number | undefined {
  try {
    return askedWait(err, options);
  } catch {
    return undefined;
  }
}

function askedWait(err: unknown, options: RetryAfterOptions | undefined): number | undefined {
  if (err instanceof RetryableError && err.retryAfterMs !== undefined) return clamp(err.retryAfterMs);
  if (err instanceof RejectedError) return clamp(err.retryAfterMs);
  for (const headers of [readProp(err, 'headers'), readProp(readProp(err, 'response'), 'headers')]) {
    if (headers === undefined) continue;
    const ms = parseMs(header(headers, 'retry-after-ms'));
    if (ms !== undefined) return ms;
    const raw = header(headers, 'retry-after');
    if (raw !== undefined && raw !== null) return parseRetryAfter(raw, options?.now ?? wallClockNow());
  }
  return undefined;
}
