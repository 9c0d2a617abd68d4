/**
 * The four shapes every part of bulwark/http comes in: node:http listener wrapping, express
 * middleware, a fastify plugin and a hono middleware.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A node:http request listener; a promise it returns is awaited by {@link problemHandler} only. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * An express middleware. Typed on node:http's request and response (express's extend them), so
 * express's types are not needed to use it.
 */
export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

// The fastify and hono shapes are declared here, loosely, rather than imported: both frameworks are
// optional peers, and a user of one (or of neither) must be able to compile against bulwark's
// types without the other installed. Each is what the framework's own `register`, `use` and
// `onError` accept.

/**
 * A fastify plugin, as `app.register(plugin)` takes it (fastify's `FastifyPluginCallback`,
 * declared without importing fastify, an optional peer).
 */
// biome-ignore lint/suspicious/noExplicitAny: any fastify instance and options: the framework's own type checks them
export type FastifyPlugin = (instance: any, options: any, done: (err?: Error) => void) => void;

/**
 * A hono middleware, as `app.use(middleware)` takes it (hono's `MiddlewareHandler`, declared
 * without importing hono, an optional peer).
 */
// biome-ignore lint/suspicious/noExplicitAny: any hono context: the framework's own type checks it
// biome-ignore lint/suspicious/noConfusingVoidType: hono's own MiddlewareHandler returns Promise<Response | void>
export type HonoMiddleware = (c: any, next: () => Promise<void>) => Promise<Response | void>;

/**
 * A hono error handler, as `app.onError(handler)` takes it (hono's `ErrorHandler`, declared
 * without importing hono, an optional peer).
 */
// biome-ignore lint/suspicious/noExplicitAny: any hono context: the framework's own type checks it
export type HonoErrorHandler = (err: Error, c: any) => Response | Promise<Response>;

/**
 * One piece of bulwark/http in the shape of each framework it supports.
 *
 * - `node(listener)` wraps a node:http request listener: `createServer(part.node(listener))`.
 * - `express` is a middleware: `app.use(part.express)`.
 * - `fastify` is a plugin that applies to the instance it is registered on: `await app.register(part.fastify)`.
 * - `hono` is a middleware for an app served by @hono/node-server: `app.use(part.hono)`.
 */
export interface HttpMiddleware {
  /** Wraps a node:http request listener. */
  node(listener: NodeListener): (req: IncomingMessage, res: ServerResponse) => void;
  /** The express middleware. */
  readonly express: ExpressMiddleware;
  /** The fastify plugin (not encapsulated: it applies to the instance it is registered on). */
  readonly fastify: FastifyPlugin;
  /** The hono middleware; the app must be served by @hono/node-server. */
  readonly hono: HonoMiddleware;
}
