/**
 * The error handler in each framework's shape: every error becomes an RFC 9457 response, and a
 * server-side failure is logged with its cause while the client learns nothing of it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import type { Context } from 'hono';
import { describe } from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject } from '../core/options.js';
import type { Logger } from '../logger/logger.js';
import { incomingOf, isDeadlineReason } from './deadline.js';
import type { FastifyPlugin, HonoErrorHandler, NodeListener } from './middleware.js';
import {
  PROBLEM_OPTIONS,
  type ProblemOptions,
  type ProblemSettings,
  prepareProblem,
  problemFor,
  problemSettings,
} from './problem.js';
import { requestIdOf } from './request-id.js';
import { pathOf, type ReplyLike, sendRaw, sendReply, toResponse, unencapsulated } from './respond.js';

/** Options of {@link problemHandler}. */
export interface ProblemHandlerOptions extends ProblemOptions {
  /**
   * Logs each 5xx with its error (redacted by the logger), so the cause is kept server-side: a
   * bug or an application 5xx as `error`, a refusal or a dependency's timeout as `warn`.
   */
  readonly log?: Logger | undefined;
}

/** An express error middleware (four parameters, as express requires). */
export type ExpressErrorMiddleware = (
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/** The problem+json error handler in each framework's shape. Made by {@link problemHandler}. */
export interface ProblemHandler {
  /** Wraps a node:http listener: a throw or a rejected promise becomes a problem response. */
  node(listener: NodeListener): (req: IncomingMessage, res: ServerResponse) => void;
  /** The express error middleware: `app.use(problems.express)` after the routes. */
  readonly express: ExpressErrorMiddleware;
  /** A fastify plugin that sets the instance's error handler. */
  readonly fastify: FastifyPlugin;
  /** The hono error handler: `app.onError(problems.hono)`. */
  readonly hono: HonoErrorHandler;
}

const KNOWN_OPTIONS = [...PROBLEM_OPTIONS, 'log'] as const;

class Problems implements ProblemHandler {
  readonly #settings: ProblemSettings;
  readonly #log: Logger | undefined;
  readonly express: ExpressErrorMiddleware;
  readonly fastify: FastifyPlugin;
  readonly hono: HonoErrorHandler;

  constructor(settings: ProblemSettings, log: Logger | undefined) {
    this.#settings = settings;
    this.#log = log;
    // Express finds error middleware by its four parameters: keep all four.
    this.express = (err, req, res, next) => {
      if (res.writableEnded) {
        this.#late(req, err); // answered already (by a deadline, most often): nothing to send
        return;
      }
      if (res.headersSent) {
        this.#report(req, err, 500);
        next(err); // express closes a response that has begun
        return;
      }
      sendRaw(res, this.#prepare(req, err));
    };
    this.fastify = unencapsulated('bulwark-problem-handler', ((instance, _opts, done) => {
      instance.setErrorHandler((error, request, reply) => {
        sendReply(reply as unknown as ReplyLike, this.#prepare(request.raw, error));
      });
      done();
    }) as FastifyPluginCallback);
    this.hono = (err: Error, c: Context) => {
      const req = incomingOf(c);
      return toResponse(this.#prepare(req, err));
    };
  }

  node(listener: NodeListener): (req: IncomingMessage, res: ServerResponse) => void {
    if (typeof listener !== 'function') {
      throw new TypeError(
        `problemHandler.node: expected a request listener (req, res) => void; got ${describe(listener)}`,
      );
    }
    const fail = (req: IncomingMessage, res: ServerResponse, err: unknown) => {
      if (res.writableEnded) {
        this.#late(req, err);
        return;
      }
      if (res.headersSent) {
        this.#report(req, err, 500);
        res.destroy(); // the client sees a cut response, not a truncated one passed off as complete
        return;
      }
      sendRaw(res, this.#prepare(req, err));
    };
    return (req, res) => {
      let result: unknown;
      try {
        result = listener(req, res);
      } catch (err) {
        fail(req, res, err);
        return;
      }
      if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (err: unknown) => fail(req, res, err));
      }
    };
  }

  #prepare(req: IncomingMessage | undefined, err: unknown) {
    const problem = problemFor(this.#settings, err);
    // A refusal or a dependency's timeout is the system working as meant: a warning, not an error.
    this.#report(
      req,
      err,
      problem.status,
      problem.body.code === 'ERR_INTERNAL' || problem.body.code.startsWith('HTTP_'),
    );
    return prepareProblem(problem, req === undefined ? undefined : requestIdOf(req));
  }

  /** An error after the response was complete: the request's own deadline is expected, others are logged. */
  #late(req: IncomingMessage, err: unknown): void {
    if (isDeadlineReason(req, err)) return;
    this.#report(req, err, 500);
  }

  #report(req: IncomingMessage | undefined, err: unknown, status: number, bug = true): void {
    if (this.#log === undefined || status < 500) return;
    this.#log[bug ? 'error' : 'warn']('request failed', {
      status,
      method: req?.method,
      path: req === undefined ? undefined : pathOf(req),
      err,
    });
  }
}

/**
 * An error handler for each framework that answers every error with {@link problemDetails}:
 * bulwark's refusals and timeouts with their status and `Retry-After`, an error marked with a
 * 4xx/5xx `status` with it, anything else with a 500 that reveals nothing. `detail` is redacted;
 * with `log`, each 5xx is logged with its error (and the request id, under {@link requestId}).
 * A response that had begun cannot be replaced: it is cut off instead.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { problemHandler } from 'bulwark/http';
 * import { createLogger } from 'bulwark/logger';
 *
 * const app = Fastify();
 * await app.register(problemHandler({ log: createLogger({ name: 'api' }) }).fastify);
 * app.get('/boom', async () => {
 *   throw new Error('db password=hunter2 rejected'); // the client gets a bare 500
 * });
 * ```
 */
export function problemHandler(options?: ProblemHandlerOptions): ProblemHandler {
  const where = 'problemHandler';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, KNOWN_OPTIONS);
  const log = options?.log;
  if (log !== undefined && typeof (log as Partial<Logger> | null)?.error !== 'function') {
    throw new TypeError(`${where}: option "log" must be a Logger made by createLogger(); got ${describe(log)}`);
  }
  return new Problems(problemSettings(where, options ?? {}), log);
}
