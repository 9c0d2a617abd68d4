/**
 * Request deadlines: each request gets a signal that aborts at its deadline or when the client
 * goes away; a request still unanswered at its deadline is answered for the handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import type { Context, Next } from 'hono';
import type { Clock } from '../core/clock.js';
import { describe, TimeoutError } from '../core/errors.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import { checkKnownKeys, checkOptionsObject, clockOption, functionOption, msOption } from '../core/options.js';
import { abortPending, DeadlineQueue, type Pending, pendingOf, signalOf } from './deadline-queue.js';
import { headerOf } from './headers.js';
import type { FastifyPlugin, HonoMiddleware, HttpMiddleware, NodeListener } from './middleware.js';
import { PROBLEM_JSON_TYPE, type ProblemKind, problemDocument, problemSettings } from './problem.js';
import {
  dropLateWrites,
  nodeBindings,
  type Prepared,
  pathOf,
  type ReplyLike,
  sendRaw,
  sendReply,
  unencapsulated,
} from './respond.js';

/** Options of {@link requestDeadline}. */
export interface RequestDeadlineOptions {
  /** How long a request may take, in milliseconds: greater than 0, at most 2^31 - 1. */
  readonly ms: number;
  /**
   * The status of the answer given at the deadline, 400 to 599 (default 503: see docs/http.md
   * for why not 408 or 504).
   */
  readonly status?: number | undefined;
  /**
   * Requests with no deadline (they still get a signal that aborts when the client goes away).
   * Server-sent events (`Accept: text/event-stream`) and upgrades are always exempt.
   */
  readonly exempt?: ((req: IncomingMessage) => boolean) | undefined;
  /** Where problem types live (see {@link ProblemOptions.typeBase}); default `about:blank`. */
  readonly typeBase?: string | undefined;
  /** Where time comes from (default: the system clock); pass a `FakeClock` in tests. */
  readonly clock?: Clock | undefined;
}

/** Events of a {@link RequestDeadline}. */
export interface RequestDeadlineEvents {
  /** A request reached its deadline: its signal aborted, and it was answered unless it had begun. */
  timeout: {
    /** The request's method. */
    readonly method: string;
    /** The request's path, without the query string. */
    readonly path: string;
    /** The deadline, in milliseconds. */
    readonly ms: number;
    /** True when bulwark sent the answer; false when the response had already begun. */
    readonly answered: boolean;
  };
}

/** Request deadlines in each framework's shape. Made by {@link requestDeadline}. */
export interface RequestDeadline extends HttpMiddleware, EventSource<RequestDeadlineEvents> {
  /** The deadline, in milliseconds. */
  readonly ms: number;
  /** The status of the answer given at the deadline. */
  readonly status: number;
}

/**
 * Whatever carries a request in each framework: a node:http or express request, a fastify
 * request (`raw`), or a hono context on @hono/node-server (`env.incoming`).
 */
export type RequestCarrier = IncomingMessage | { readonly raw: IncomingMessage } | { readonly env: unknown };

const KNOWN_OPTIONS = ['ms', 'status', 'exempt', 'typeBase', 'clock'] as const;

/** The node:http request behind a carrier, or undefined. @internal */
export function incomingOf(carrier: unknown): IncomingMessage | undefined {
  if (typeof carrier !== 'object' || carrier === null) return undefined;
  const c = carrier as { raw?: unknown; env?: { incoming?: unknown } | null; headers?: unknown };
  if (typeof c.raw === 'object' && c.raw !== null && 'headers' in c.raw) return c.raw as IncomingMessage;
  const incoming = typeof c.env === 'object' && c.env !== null ? c.env.incoming : undefined;
  if (typeof incoming === 'object' && incoming !== null) return incoming as IncomingMessage;
  return typeof c.headers === 'object' ? (carrier as IncomingMessage) : undefined;
}

/** An upgrade, or a request for server-sent events: read from `rawHeaders` in one pass. */
function streaming(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  if (!Array.isArray(raw)) return headerOf(req, 'upgrade') !== undefined || acceptsEvents(headerOf(req, 'accept'));
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 7 && name.toLowerCase() === 'upgrade') return true;
    if (name.length === 6 && name.toLowerCase() === 'accept' && acceptsEvents(raw[i + 1])) return true;
  }
  return false;
}

function acceptsEvents(accept: string | undefined): boolean {
  return accept?.includes('text/event-stream') === true;
}

function eventStream(res: ServerResponse): boolean {
  const type = res.getHeader('content-type');
  return typeof type === 'string' && type.startsWith('text/event-stream');
}

function clientGone(): DOMException {
  return new DOMException('the client closed the connection before the response was complete', 'AbortError');
}

interface DeadlineSettings {
  readonly ms: number;
  readonly status: number;
  readonly exempt: ((req: IncomingMessage) => boolean) | undefined;
  readonly clock: Clock;
  readonly answer: Prepared;
}

function deadlineSettings(options: RequestDeadlineOptions): DeadlineSettings {
  const where = 'requestDeadline';
  checkOptionsObject(where, options);
  if (options === undefined) {
    throw new TypeError(`${where}: expected options { ms, status?, exempt?, typeBase?, clock? }; got undefined`);
  }
  checkKnownKeys(where, options, KNOWN_OPTIONS);
  const ms = msOption(where, 'ms', options.ms);
  const status = options.status ?? 503;
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`${where}: option "status" must be a whole number from 400 to 599; got ${describe(status)}`);
  }
  const exempt = functionOption<(req: IncomingMessage) => boolean>(where, 'exempt', options.exempt, '(req) => boolean');
  const kind: ProblemKind = {
    status,
    slug: 'deadline',
    title: 'Request deadline exceeded',
    code: 'ERR_REQUEST_DEADLINE',
  };
  const doc = problemDocument(
    problemSettings(where, { typeBase: options.typeBase }),
    kind,
    status,
    `the request did not complete within ${ms} ms`,
  );
  const headers: Record<string, string> = { 'content-type': PROBLEM_JSON_TYPE, 'cache-control': 'no-store' };
  // RFC 9110 15.5.9: a server sending 408 should close the connection.
  if (status === 408) headers.connection = 'close';
  const answer = { status, headers, body: Buffer.from(JSON.stringify(doc)) };
  return { ms, status, exempt, clock: clockOption(where, options.clock), answer };
}

function answerRaw(res: ServerResponse, answer: Prepared): boolean {
  if (!sendRaw(res, answer)) return false;
  dropLateWrites(res);
  return true;
}

class Deadline implements RequestDeadline {
  readonly ms: number;
  readonly status: number;
  readonly #settings: DeadlineSettings;
  readonly #events = new Emitter<RequestDeadlineEvents>();
  readonly #queue: DeadlineQueue;
  readonly express: RequestDeadline['express'];
  readonly fastify: FastifyPlugin;
  readonly hono: HonoMiddleware;

  constructor(settings: DeadlineSettings) {
    this.#settings = settings;
    this.ms = settings.ms;
    this.status = settings.status;
    this.#queue = new DeadlineQueue(settings.clock, settings.ms, (p) => this.#expire(p), clientGone);
    this.express = (req, res, next) => {
      this.#arm(req, res, undefined);
      next();
    };
    this.fastify = unencapsulated('bulwark-request-deadline', ((instance, _opts, done) => {
      instance.addHook('onRequest', (request, reply, next) => {
        this.#arm(request.raw, reply.raw, reply);
        next();
      });
      done();
    }) as FastifyPluginCallback);
    this.hono = async (c: Context, next: Next) => {
      const { incoming, outgoing } = nodeBindings('requestDeadline', c);
      this.#arm(incoming, outgoing, undefined);
      await next();
    };
  }

  on<K extends keyof RequestDeadlineEvents>(event: K, listener: (payload: RequestDeadlineEvents[K]) => void) {
    return this.#events.on(event, listener);
  }

  node(listener: NodeListener): (req: IncomingMessage, res: ServerResponse) => void {
    if (typeof listener !== 'function') {
      throw new TypeError(
        `requestDeadline.node: expected a request listener (req, res) => void; got ${describe(listener)}`,
      );
    }
    return (req, res) => {
      this.#arm(req, res, undefined);
      listener(req, res);
    };
  }

  #arm(req: IncomingMessage, res: ServerResponse, reply: unknown): void {
    const exempt = streaming(req) || this.#settings.exempt?.(req) === true;
    this.#queue.add(req, res, reply, exempt);
  }

  #expire(p: Pending): void {
    const { res, req } = p;
    if (res.writableFinished || res.destroyed || eventStream(res)) return;
    const { ms, answer } = this.#settings;
    // Answer first: the handler's own reaction to the abort must not beat the deadline's answer.
    const answered = p.reply === undefined ? answerRaw(res, answer) : sendReply(p.reply as ReplyLike, answer);
    abortPending(p, new TimeoutError(`the request did not complete within ${ms} ms`, { timeoutMs: ms }));
    if (this.#events.listening('timeout')) {
      this.#events.emit('timeout', { method: req.method ?? 'GET', path: pathOf(req), ms, answered });
    }
  }
}

/**
 * Gives each request a deadline. Its signal ({@link deadlineOf}) aborts at the deadline with a
 * `TimeoutError`, or when the client goes away; pass it to `policy.execute(fn, { signal })`,
 * `fetch` or a database driver so the work stops too. At the deadline, a request whose response
 * has not begun is answered with `status` (503 by default) and an RFC 9457 body; whatever the
 * handler writes afterwards is dropped, so a late answer never crashes on ERR_HTTP_HEADERS_SENT.
 * The timer is cleared when the response finishes or the connection closes. Server-sent events,
 * upgrades and `exempt` requests get no deadline.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { deadlineOf, requestDeadline } from 'bulwark/http';
 *
 * const deadline = requestDeadline({ ms: 5000 });
 * const server = createServer(
 *   deadline.node(async (req, res) => {
 *     const upstream = await fetch('http://127.0.0.1:9000/items', { signal: deadlineOf(req) });
 *     res.writeHead(200, { 'content-type': 'application/json' }).end(await upstream.text());
 *   }),
 * );
 * ```
 */
export function requestDeadline(options: RequestDeadlineOptions): RequestDeadline {
  return new Deadline(deadlineSettings(options));
}

/** True when `err` is what the request's deadline signal aborted with (it expired or the client left). @internal */
export function isDeadlineReason(req: IncomingMessage, err: unknown): boolean {
  const reason = pendingOf(req)?.reason;
  return reason !== undefined && reason === err;
}

/**
 * The signal of a request under {@link requestDeadline}: it aborts at the deadline (reason: a
 * `TimeoutError`) or when the client goes away (reason: an `AbortError`), never after the
 * response finished. Accepts a node:http or express request, a fastify request, or a hono
 * context. Throws when no `requestDeadline` ran for the request.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { timeout } from 'bulwark/timeout';
 * import { deadlineOf, requestDeadline } from 'bulwark/http';
 *
 * const upstream = timeout(2000);
 * const app = express();
 * app.use(requestDeadline({ ms: 5000 }).express);
 * app.get('/items', async (req, res) => {
 *   const items = await upstream.execute(
 *     async ({ signal }) => (await fetch('http://127.0.0.1:9000/items', { signal })).json(),
 *     { signal: deadlineOf(req) },
 *   );
 *   res.json(items);
 * });
 * ```
 */
export function deadlineOf(request: RequestCarrier): AbortSignal {
  const incoming = incomingOf(request);
  const pending = incoming === undefined ? undefined : pendingOf(incoming);
  if (pending === undefined) {
    throw new TypeError(
      'deadlineOf: no requestDeadline ran for this request; install it before the route (node(listener), app.use, register or use)',
    );
  }
  return signalOf(pending);
}
