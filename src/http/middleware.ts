/**
 * The four shapes every part of bulwark/http comes in: node:http listener wrapping, express
 * middleware, a fastify plugin and a hono middleware.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import type { MiddlewareHandler } from 'hono';

/** A node:http request listener; a promise it returns is awaited by {@link problemHandler} only. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * An express middleware. Typed on node:http's request and response (express's extend them), so
 * express's types are not needed to use it.
 */
export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

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
  readonly fastify: FastifyPluginCallback;
  /** The hono middleware; the app must be served by @hono/node-server. */
  readonly hono: MiddlewareHandler;
}
