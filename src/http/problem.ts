/**
 * RFC 9457 problem details for bulwark's errors, for errors the application marks with a status,
 * and a plain 500 that reveals nothing for everything else.
 */
import { STATUS_CODES } from 'node:http';
import {
  BulkheadRejectedError,
  CircuitOpenError,
  describe,
  RateLimitedError,
  RejectedError,
  TimeoutError,
} from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject } from '../core/options.js';
import { MAX_RETRY_AFTER_MS } from '../core/retry-after.js';
import { createRedactor, type Redactor } from '../logger/redact/redactor.js';
import type { Prepared } from './respond.js';

/**
 * The media type of a problem details body (RFC 9457 section 3).
 *
 * @example
 * ```ts
 * import { PROBLEM_JSON_TYPE } from 'bulwark/http';
 *
 * const res = await fetch('http://127.0.0.1:3000/items');
 * if (res.headers.get('content-type') === PROBLEM_JSON_TYPE) console.warn(await res.json());
 * ```
 */
export const PROBLEM_JSON_TYPE = 'application/problem+json';

/**
 * An RFC 9457 problem details object. `type` is `about:blank` unless a `typeBase` was given;
 * `code` is an extension member naming the kind (`ERR_CIRCUIT_OPEN`, `ERR_INTERNAL`, ...).
 */
export interface ProblemDocument {
  /** A URI reference naming the problem type; `about:blank` means "just the status code". */
  readonly type: string;
  /** A short summary of the type; the status phrase when `type` is `about:blank`. */
  readonly title: string;
  /** The HTTP status code, the same as the response's. */
  readonly status: number;
  /** What happened to this request, redacted; absent when it could reveal internals. */
  readonly detail?: string;
  /** Stable name of the kind of problem (extension member). */
  readonly code: string;
  /** The request's id when `requestId` runs before the error handler (extension member). */
  readonly requestId?: string;
}

/** What {@link problemDetails} returns: the status, the headers and the document to send. */
export interface ProblemResponse {
  /** The HTTP status code. */
  readonly status: number;
  /** `content-type`, and `retry-after` for refusals. */
  readonly headers: Readonly<Record<string, string>>;
  /** The problem details object; send it as JSON. */
  readonly body: ProblemDocument;
}

/** Options of {@link problemDetails}. */
export interface ProblemOptions {
  /**
   * An absolute URI ending in `/` or `#` under which problem types are named, e.g.
   * `https://errors.example.com/` gives `https://errors.example.com/circuit-open`. Unset, every
   * `type` is `about:blank` and `title` is the status phrase (RFC 9457 section 4.2.1).
   */
  readonly typeBase?: string | undefined;
  /** The redactor `detail` passes through (default: `createRedactor()`'s defaults). */
  readonly redactor?: Redactor | undefined;
}

/** Checked {@link ProblemOptions}. @internal */
export interface ProblemSettings {
  readonly typeBase: string | undefined;
  readonly redactor: Redactor;
}

let defaultRedactor: Redactor | undefined;

/** @internal */
export const PROBLEM_OPTIONS = ['typeBase', 'redactor'] as const;

/** Checks the problem options found on `o` (which may hold other options too). @internal */
export function problemSettings(where: string, o: ProblemOptions): ProblemSettings {
  const { typeBase, redactor } = o;
  if (typeBase !== undefined && (typeof typeBase !== 'string' || !/^[a-z][a-z0-9+.-]*:[^\s]*[/#:]$/i.test(typeBase))) {
    throw new TypeError(
      `${where}: option "typeBase" must be an absolute URI ending in "/", "#" or ":", like "https://errors.example.com/"; got ${describe(typeBase)}`,
    );
  }
  if (redactor !== undefined && typeof (redactor as Partial<Redactor> | null)?.redactString !== 'function') {
    throw new TypeError(
      `${where}: option "redactor" must be a Redactor made by createRedactor(); got ${describe(redactor)}`,
    );
  }
  defaultRedactor ??= createRedactor();
  return { typeBase, redactor: redactor ?? defaultRedactor };
}

/** One kind of problem: its status, its slug under `typeBase`, its specific title. @internal */
export interface ProblemKind {
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  readonly code: string;
}

const KINDS = {
  circuitOpen: { status: 503, slug: 'circuit-open', title: 'Dependency unavailable', code: 'ERR_CIRCUIT_OPEN' },
  bulkheadFull: {
    status: 503,
    slug: 'bulkhead-full',
    title: 'Too many concurrent requests',
    code: 'ERR_BULKHEAD_FULL',
  },
  rateLimited: { status: 429, slug: 'rate-limited', title: 'Rate limit reached', code: 'ERR_RATE_LIMITED' },
  rejected: { status: 503, slug: 'rejected', title: 'Request refused', code: 'ERR_REJECTED' },
  timeout: { status: 504, slug: 'timeout', title: 'Dependency timed out', code: 'ERR_TIMEOUT' },
  internal: { status: 500, slug: 'internal', title: 'Internal error', code: 'ERR_INTERNAL' },
} as const satisfies Record<string, ProblemKind>;

/** A document for `kind` with `status` (which may differ from the kind's default). @internal */
export function problemDocument(
  settings: ProblemSettings,
  kind: ProblemKind,
  status: number,
  detail: string | undefined,
): ProblemDocument {
  const doc: { -readonly [K in keyof ProblemDocument]: ProblemDocument[K] } = {
    type: settings.typeBase === undefined ? 'about:blank' : settings.typeBase + kind.slug,
    title: settings.typeBase === undefined ? (STATUS_CODES[status] ?? 'Error') : kind.title,
    status,
    code: kind.code,
  };
  if (detail !== undefined) doc.detail = settings.redactor.redactString(detail);
  return doc;
}

function marked(error: object): { status: number; expose: boolean } | undefined {
  const e = error as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const status = Number.isInteger(e.status) ? (e.status as number) : (e.statusCode as number);
  if (!Number.isInteger(status) || status < 400 || status > 599) return undefined;
  return { status, expose: typeof e.expose === 'boolean' ? e.expose : status < 500 };
}

function messageOf(error: object): string | undefined {
  try {
    const message = (error as { message?: unknown }).message;
    return typeof message === 'string' && message.length > 0 ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The problem response for `error` under checked settings. Whatever was thrown (a Proxy whose
 * traps throw, a `status` getter that throws) gets an answer: what cannot be read is a plain 500.
 * @internal
 */
export function problemFor(settings: ProblemSettings, error: unknown): ProblemResponse {
  try {
    return classified(settings, error);
  } catch {
    return {
      status: 500,
      headers: { 'content-type': PROBLEM_JSON_TYPE },
      body: problemDocument(settings, KINDS.internal, 500, undefined),
    };
  }
}

/** `Retry-After` in whole seconds (RFC 9110 delta-seconds), at most a day; none when unknown. */
function retryAfterSeconds(ms: number | undefined): string | undefined {
  if (typeof ms !== 'number' || !(ms >= 0)) return undefined;
  return String(Math.ceil(Math.min(ms, MAX_RETRY_AFTER_MS) / 1000));
}

function classified(settings: ProblemSettings, error: unknown): ProblemResponse {
  const headers: Record<string, string> = { 'content-type': PROBLEM_JSON_TYPE };
  let kind: ProblemKind = KINDS.internal;
  let status = 500;
  let detail: string | undefined;
  if (typeof error === 'object' && error !== null) {
    if (error instanceof RejectedError) {
      kind =
        error instanceof CircuitOpenError
          ? KINDS.circuitOpen
          : error instanceof RateLimitedError
            ? KINDS.rateLimited
            : error instanceof BulkheadRejectedError
              ? KINDS.bulkheadFull
              : KINDS.rejected;
      status = kind.status;
      detail = error.message;
      const retryAfter = retryAfterSeconds(error.retryAfterMs);
      if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    } else if (error instanceof TimeoutError) {
      kind = KINDS.timeout;
      status = kind.status;
      detail = error.message;
    } else {
      const mark = marked(error);
      if (mark !== undefined) {
        status = mark.status;
        kind = { status, slug: String(status), title: STATUS_CODES[status] ?? 'Error', code: `HTTP_${status}` };
        if (mark.expose) detail = messageOf(error);
      }
    }
  }
  return { status, headers, body: problemDocument(settings, kind, status, detail) };
}

/** Serializes a problem response, adding `requestId` when there is one. @internal */
export function prepareProblem(problem: ProblemResponse, requestId?: string): Prepared {
  const body = requestId === undefined ? problem.body : { ...problem.body, requestId };
  return { status: problem.status, headers: problem.headers, body: Buffer.from(JSON.stringify(body)) };
}

/**
 * The RFC 9457 problem details response for an error: `CircuitOpenError` and
 * `BulkheadRejectedError` give 503, `RateLimitedError` 429 (each with `Retry-After` in seconds),
 * `TimeoutError` 504; an error the application marks with an integer `status` or `statusCode`
 * from 400 to 599 keeps it (its message is shown for 4xx, or when `expose` is true); anything
 * else is a 500 that reveals nothing. `detail` passes through the redactor first, so a token in
 * an error message never reaches the client.
 *
 * @param error - Whatever was thrown.
 * @param options - Where problem types live, and the redactor.
 *
 * @example
 * ```ts
 * import { CircuitOpenError } from 'bulwark';
 * import { problemDetails } from 'bulwark/http';
 *
 * const { status, headers, body } = problemDetails(new CircuitOpenError({ breaker: 'prices', retryAfterMs: 30_000 }));
 * // status 503, headers { 'content-type': 'application/problem+json', 'retry-after': '30' }
 * // body { type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'ERR_CIRCUIT_OPEN', detail: '...' }
 * console.log(status, headers, JSON.stringify(body));
 * ```
 */
export function problemDetails(error: unknown, options?: ProblemOptions): ProblemResponse {
  const where = 'problemDetails';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, PROBLEM_OPTIONS);
  return problemFor(problemSettings(where, options ?? {}), error);
}
