/**
 * HTTP responses as outcomes. `fetch` resolves on every status, so a 503 is a success to every
 * policy unless something turns it into an error: {@link throwIfNotOk} does, keeping the status
 * and the headers where `classify` and `retryAfterMs` read them.
 */
import { brand, ResilienceError, type ResilienceErrorCode, type ResilienceErrorOptions } from './errors.js';
import { readProp } from './read.js';

/** The parts of a `fetch` Response (or any HTTP client's) that {@link HttpError} keeps. */
export interface ResponseLike {
  /** The HTTP status, e.g. 503. */
  readonly status: number;
  /** The reason phrase, e.g. `'Service Unavailable'`. */
  readonly statusText?: string | undefined;
  /** The response headers: a `Headers`, a `Map` or a plain object. */
  readonly headers?: unknown;
  /** The URL that answered. */
  readonly url?: string | undefined;
  /** True for a 2xx status. */
  readonly ok?: boolean | undefined;
}

/** Options of {@link HttpError}. */
export interface HttpErrorOptions extends ResilienceErrorOptions {
  /** The HTTP status, e.g. 503. */
  readonly status: number;
  /** The reason phrase, e.g. `'Service Unavailable'`. */
  readonly statusText?: string | undefined;
  /** The response headers, kept as given (a `Headers`, a `Map` or a plain object). */
  readonly headers?: unknown;
  /** The URL that answered; only its origin and path are kept (a query may hold a token). */
  readonly url?: string | undefined;
}

/** `https://api.example.com/users?token=x` -> `https://api.example.com/users`. */
function withoutQuery(url: string | undefined): string | undefined {
  if (typeof url !== 'string' || url === '') return undefined;
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/**
 * An HTTP response whose status is not 2xx, as an error. It carries `status` and `headers`, so
 * `classify` retries a 408, 425, 429, 500, 502, 503 or 504 and no other status, a circuit breaker
 * counts the retryable ones (a 429 excepted: see docs/breaker.md), and retry waits at least the
 * response's `Retry-After`. Make one with {@link HttpError.from} or {@link throwIfNotOk}.
 *
 * @example
 * ```ts
 * import { HttpError } from 'bulwark';
 *
 * const res = await fetch('https://api.example.com/users/42');
 * if (!res.ok) throw HttpError.from(res); // HttpError: HTTP 503 Service Unavailable (https://api.example.com/users/42)
 * ```
 */
export class HttpError extends ResilienceError {
  override readonly code: ResilienceErrorCode = 'ERR_HTTP';
  /** The HTTP status, e.g. 503. */
  readonly status: number;
  /** The reason phrase, `''` when the server sent none. */
  readonly statusText: string;
  /** The response headers as given: read `Retry-After` with `retryAfterMs(err)`. */
  readonly headers: unknown;
  /** Origin and path of the URL that answered; `undefined` when unknown. */
  readonly url: string | undefined;

  constructor(options: HttpErrorOptions, message?: string) {
    const status = options.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
      throw new RangeError(`HttpError: option "status" must be an HTTP status from 100 to 599; got ${String(status)}`);
    }
    const statusText = typeof options.statusText === 'string' ? options.statusText : '';
    const url = withoutQuery(options.url);
    super(message ?? `HTTP ${status}${statusText ? ` ${statusText}` : ''}${url ? ` (${url})` : ''}`, options);
    this.status = status;
    this.statusText = statusText;
    this.headers = options.headers;
    this.url = url;
  }

  /**
   * The error for `response`: its status, reason phrase, headers and URL. It does not read or
   * cancel the body; read it first if you want it in the error.
   *
   * @example
   * ```ts
   * import { HttpError } from 'bulwark';
   *
   * const res = await fetch('https://api.example.com/users/42');
   * if (res.status >= 500) throw HttpError.from(res);
   * ```
   */
  static from(response: ResponseLike): HttpError {
    return new HttpError({
      status: readProp(response, 'status') as number,
      statusText: readProp(response, 'statusText') as string | undefined,
      headers: readProp(response, 'headers'),
      url: readProp(response, 'url') as string | undefined,
    });
  }
}
brand(HttpError, 'HttpError');

/**
 * Returns `response` when its status is 2xx; otherwise cancels its body (so the connection is
 * freed) and throws {@link HttpError.from}(response). Put it right after `fetch` inside the work,
 * and retry, the breaker and `Retry-After` all see the failure:
 *
 * @example
 * ```ts
 * import { compose, throwIfNotOk } from 'bulwark';
 * import { circuitBreaker } from 'bulwark/breaker';
 * import { retry } from 'bulwark/retry';
 *
 * const policy = compose(retry({ attempts: 3 }), circuitBreaker({ name: 'users-api' }));
 * const res = await policy.execute(async ({ signal }) =>
 *   throwIfNotOk(await fetch('https://api.example.com/users/42', { signal })),
 * );
 * console.log(await res.json());
 * ```
 */
export function throwIfNotOk<R extends ResponseLike>(response: R): R {
  const status = readProp(response, 'status');
  const ok = readProp(response, 'ok');
  if (ok === true || (ok === undefined && typeof status === 'number' && status >= 200 && status < 300)) {
    return response;
  }
  const body = readProp(response, 'body');
  const cancel = readProp(body, 'cancel');
  if (typeof cancel === 'function') {
    try {
      // A body already read or locked rejects here; that is fine, there is nothing to free.
      Promise.resolve(cancel.call(body)).catch(() => {});
    } catch {}
  }
  throw HttpError.from(response);
}
