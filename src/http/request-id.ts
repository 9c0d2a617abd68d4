/**
 * Request ids: a well-formed incoming id is kept, anything else is replaced by a new one; the id
 * goes back on the response and into every log line written while the request is handled.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import type { Context, Next } from 'hono';
import { describe } from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject, functionOption } from '../core/options.js';
import { type LogContext, logContext } from '../logger/context.js';
import { createRedactor, type Redactor } from '../logger/redact/redactor.js';
import { incomingOf, type RequestCarrier } from './deadline.js';
import { HeaderAdder } from './head.js';
import { headerOf } from './headers.js';
import type { FastifyPlugin, HonoMiddleware, HttpMiddleware, NodeListener } from './middleware.js';
import { nodeBindings, unencapsulated } from './respond.js';
import { batchedUuid } from './uuid.js';

/** Options of {@link requestId}. */
export interface RequestIdOptions {
  /** The header read from the request and set on the response (default `'x-request-id'`). */
  readonly header?: string | undefined;
  /** Makes a new id (default: a random UUID, version 4, as `crypto.randomUUID` makes); its result must be well-formed too. */
  readonly generate?: (() => string) | undefined;
}

/** Request ids in each framework's shape. Made by {@link requestId}. */
export interface RequestIdMiddleware extends HttpMiddleware {
  /** The header, lower-case. */
  readonly header: string;
}

const KNOWN_OPTIONS = ['header', 'generate'] as const;
/** 1 to 128 characters of letters, digits and `-_.:+/=@~`: no space, quote or control character can reach a log line. */
const WELL_FORMED = /^[A-Za-z0-9\-_.:+/=@~]{1,128}$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// On the request itself: a WeakMap entry per request costs more than the rest of requestId.
const ID: unique symbol = Symbol('bulwark.http.requestId');
/** The request's log context, for fastify's second entry into it. */
const CONTEXT: unique symbol = Symbol('bulwark.http.requestId.context');
type Carrying = { [ID]?: string; [CONTEXT]?: LogContext };
let redactor: Redactor | undefined;
const clientIdRedactor = (): Redactor => {
  redactor ??= createRedactor();
  return redactor;
};

/**
 * What the log context holds for one request, as `withLogContext({ requestId })` makes it, without
 * scanning an id bulwark made itself for secrets (a UUID costs the redactor more than the rest of
 * the request's overhead together). An id the client sent is scanned, once.
 */
function contextOf(id: string): LogContext {
  const outer = logContext.getStore();
  return { bindings: outer === undefined ? { requestId: id } : { ...outer.bindings, requestId: id } };
}

interface IdSettings {
  readonly header: string;
  readonly generate: () => string;
}

function idSettings(options: RequestIdOptions | undefined): IdSettings {
  const where = 'requestId';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, KNOWN_OPTIONS);
  const header = options?.header ?? 'x-request-id';
  if (typeof header !== 'string' || !TOKEN.test(header)) {
    throw new TypeError(
      `${where}: option "header" must be an HTTP header name like "x-request-id"; got ${describe(header)}`,
    );
  }
  const generate = functionOption<() => string>(where, 'generate', options?.generate, '() => string') ?? batchedUuid;
  return { header: header.toLowerCase(), generate };
}

class RequestIds implements RequestIdMiddleware {
  readonly header: string;
  readonly #generate: () => string;
  readonly express: RequestIdMiddleware['express'];
  readonly fastify: FastifyPlugin;
  readonly hono: HonoMiddleware;

  /** Adds the id to each response's head. */
  readonly #adder: HeaderAdder;

  constructor(settings: IdSettings) {
    this.header = settings.header;
    this.#generate = settings.generate;
    this.#adder = new HeaderAdder(settings.header);
    this.express = (req, res, next) => {
      const id = this.#assign(req, res);
      logContext.run(contextOf(id), next);
    };
    this.fastify = unencapsulated('bulwark-request-id', ((instance, _opts, done) => {
      instance.addHook('onRequest', (request, reply, next) => {
        // Through the reply, not reply.raw.setHeader: fastify then writes the head from one object,
        // where a header set on the raw response sends node:http down its slower merging path.
        const logged = this.#identify(request.raw);
        reply.header(this.header, (request.raw as IncomingMessage & Carrying)[ID]);
        const context = contextOf(logged);
        (request.raw as IncomingMessage & Carrying)[CONTEXT] = context;
        logContext.run(context, next);
      });
      // Reading a body runs in the socket's context, not the request's: enter it again before the
      // handler, unless the chain never left it (no body: every hook ran inside the first run).
      instance.addHook('preHandler', (request, _reply, next) => {
        const context = (request.raw as IncomingMessage & Carrying)[CONTEXT];
        if (context === undefined || logContext.getStore() === context) next();
        else logContext.run(context, next);
      });
      done();
    }) as FastifyPluginCallback);
    this.hono = (c: Context, next: Next) => {
      const { incoming, outgoing } = nodeBindings('requestId', c);
      const id = this.#assign(incoming, outgoing);
      return logContext.run(contextOf(id), next);
    };
  }

  node(listener: NodeListener): (req: IncomingMessage, res: ServerResponse) => void {
    if (typeof listener !== 'function') {
      throw new TypeError(`requestId.node: expected a request listener (req, res) => void; got ${describe(listener)}`);
    }
    return (req, res) => {
      const id = this.#assign(req, res);
      // A closure, not run(context, listener, req, res): node's run then gathers the arguments into
      // an array and spreads them again, which measured slower than the closure (decision 0014).
      logContext.run(contextOf(id), () => listener(req, res));
    };
  }

  /** Gives `req` its id and has `res` send it with its head; returns the id as log lines show it. */
  #assign(req: IncomingMessage, res: ServerResponse): string {
    const logged = this.#identify(req);
    // Added as the head is written (see head.ts), so every answer carries it: the handler's, a
    // deadline's, a refusal's, a problem's, a stream's.
    this.#adder.add(res, (req as IncomingMessage & Carrying)[ID] as string);
    return logged;
  }

  /**
   * Gives `req` its id (a well-formed one it came with, else a new one; kept on `req`, see
   * {@link requestIdOf}) and returns it as log lines show it: the client's id goes back as it
   * came, but what looks like a secret is censored in the logs.
   */
  #identify(req: IncomingMessage): string {
    const given = headerOf(req, this.header);
    if (given !== undefined && WELL_FORMED.test(given)) {
      (req as IncomingMessage & Carrying)[ID] = given;
      return clientIdRedactor().redactString(given);
    }
    const id = this.#generate();
    // bulwark's UUIDs are well-formed by construction: only a user's generator is checked.
    if (this.#generate !== batchedUuid && (typeof id !== 'string' || !WELL_FORMED.test(id))) {
      throw new TypeError(
        `requestId: option "generate" returned ${describe(id)}, not 1 to 128 characters of [A-Za-z0-9-_.:+/=@~]`,
      );
    }
    (req as IncomingMessage & Carrying)[ID] = id;
    return id;
  }
}

/**
 * Gives each request an id: a well-formed one from the `header` of the request (1 to 128
 * characters of letters, digits and `-_.:+/=@~`), else a new UUID. The id goes into the response's
 * head as it is written, whoever writes it (the handler, `end()` alone, a deadline, a refusal, a
 * problem body, a stream), unless the handler set that header itself; read it with
 * {@link requestIdOf}, not `res.getHeader`. Every log line bulwark's logger writes while the request is handled carries it as
 * `requestId` (as `withLogContext` does; a client's id is redacted there if it looks like a secret). Install it first, so the other parts' log lines and
 * answers carry it too.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { requestId, requestIdOf } from 'bulwark/http';
 * import { createLogger } from 'bulwark/logger';
 *
 * const log = createLogger({ name: 'api' });
 * const ids = requestId();
 * const server = createServer(
 *   ids.node((req, res) => {
 *     log.info('hello'); // {"...","msg":"hello","requestId":"5f0c..."}
 *     res.end(requestIdOf(req));
 *   }),
 * );
 * ```
 */
export function requestId(options?: RequestIdOptions): RequestIdMiddleware {
  return new RequestIds(idSettings(options));
}

/**
 * The id {@link requestId} gave a request (a node:http or express request, a fastify request, or
 * a hono context), or undefined when it did not run.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { requestId, requestIdOf } from 'bulwark/http';
 *
 * const app = new Hono();
 * app.use(requestId().hono);
 * app.get('/', (c) => c.json({ id: requestIdOf(c) }));
 * ```
 */
export function requestIdOf(request: RequestCarrier): string | undefined {
  const incoming = incomingOf(request);
  return incoming === undefined ? undefined : (incoming as IncomingMessage & Carrying)[ID];
}
