/**
 * How every part of bulwark/http answers a request itself (a deadline, a shed request, an error)
 * on each framework, and how a handler's answer that comes too late is dropped instead of
 * crashing on ERR_HTTP_HEADERS_SENT.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A response built once: status, headers and the bytes of its body. @internal */
export interface Prepared {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** The part of a fastify reply bulwark/http uses, so fastify stays a type-only dependency. @internal */
export interface ReplyLike {
  readonly raw: ServerResponse;
  readonly sent: boolean;
  code(status: number): ReplyLike;
  headers(values: Record<string, string>): ReplyLike;
  send(payload: Buffer): ReplyLike;
}

/** Writes `answer` on a node:http response unless it has begun; true when it was written. @internal */
export function sendRaw(res: ServerResponse, answer: Prepared): boolean {
  if (res.headersSent || res.writableEnded || res.destroyed) return false;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
  return true;
}

/** Sends `answer` through a fastify reply (its onSend hooks run) unless it has begun. @internal */
export function sendReply(reply: ReplyLike, answer: Prepared): boolean {
  if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) return false;
  reply
    .code(answer.status)
    .headers(answer.headers as Record<string, string>)
    .send(answer.body);
  return true;
}

/** `answer` as a fetch Response, for hono. @internal */
export function toResponse(answer: Prepared): Response {
  return new Response(new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
}

function callLast(args: unknown[]): void {
  const last = args[args.length - 1];
  if (typeof last === 'function') (last as () => void)();
}

// Own properties shadow ServerResponse's methods on one response only: after bulwark answered,
// whatever the handler writes later goes nowhere (express's res.send, hono's node-server writer,
// a plain res.end all call these).
const DROPPED: Record<string, (this: ServerResponse, ...args: unknown[]) => unknown> = {
  writeHead() {
    return this;
  },
  setHeader() {
    return this;
  },
  setHeaders() {
    return this;
  },
  appendHeader() {
    return this;
  },
  removeHeader() {},
  flushHeaders() {},
  writeContinue() {},
  writeEarlyHints(...args) {
    callLast(args);
  },
  write(...args) {
    callLast(args);
    return true;
  },
  end(...args) {
    callLast(args);
    return this;
  },
};
const DROPPED_NAMES = Object.keys(DROPPED);

/** Makes every later write on `res` a no-op (the answer has been given). @internal */
export function dropLateWrites(res: ServerResponse): void {
  for (const name of DROPPED_NAMES) {
    Object.defineProperty(res, name, { value: DROPPED[name], configurable: true, writable: true });
  }
}

/** The node:http request and response under a hono context on @hono/node-server. @internal */
export interface NodeBindings {
  readonly incoming: IncomingMessage;
  readonly outgoing: ServerResponse;
}

/** Reads `c.env.incoming` / `c.env.outgoing`, or says that hono must run on @hono/node-server. @internal */
export function nodeBindings(where: string, c: { readonly env: unknown }): NodeBindings {
  const env = c.env as Partial<NodeBindings> | undefined;
  if (env === undefined || env === null || typeof env.incoming !== 'object' || typeof env.outgoing !== 'object') {
    throw new TypeError(
      `${where}: the hono middleware needs the node:http request and response in c.env (serve the app with @hono/node-server)`,
    );
  }
  return env as NodeBindings;
}

/** The path of a request URL without its query string. @internal */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** A fastify plugin that applies to the instance it is registered on, not a child context. @internal */
export function unencapsulated<F extends (...args: never[]) => unknown>(name: string, plugin: F): F {
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  Object.defineProperty(plugin, Symbol.for('fastify.display-name'), { value: name });
  return plugin;
}
