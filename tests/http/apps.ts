/**
 * The same small service on node:http, express 5, fastify 5 and hono (@hono/node-server), with
 * whichever bulwark/http parts a test gives it, each route written in its framework's idiom.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { HttpMiddleware, ProblemHandler } from 'bulwark/http';
import { deadlineOf, requestIdOf } from 'bulwark/http';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';

export const FRAMEWORKS = ['node', 'express', 'fastify', 'hono'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** What a route sees of its request, whatever the framework. */
export interface Call {
  readonly signal: AbortSignal | undefined;
  readonly requestId: string | undefined;
  readonly body: unknown;
}
export interface Answer {
  readonly status: number;
  readonly body: string;
}
/** Routes by path, GET and POST alike; `/sse` is the server-sent events route of every app. */
export type Routes = Record<string, (call: Call) => Promise<Answer> | Answer>;

export interface Parts {
  readonly before: readonly HttpMiddleware[];
  readonly problems?: ProblemHandler | undefined;
}

export interface Running {
  readonly port: number;
  /** Resolves with the signal of each SSE request once its first event is written. */
  readonly sseSignals: AbortSignal[];
  close(): Promise<void>;
}

function safeSignal(carrier: Parameters<typeof deadlineOf>[0]): AbortSignal | undefined {
  try {
    return deadlineOf(carrier);
  } catch {
    return undefined;
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(text === '' ? undefined : JSON.parse(text)));
  });
}

export async function start(framework: Framework, parts: Parts, routes: Routes): Promise<Running> {
  const sseSignals: AbortSignal[] = [];
  if (framework === 'node') {
    const app = async (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?')[0] as string;
      if (path === '/sse') {
        sseSignals.push(safeSignal(req) as AbortSignal);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        return;
      }
      const route = routes[path];
      if (route === undefined) return void res.writeHead(404).end();
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      const answer = await route({ signal: safeSignal(req), requestId: requestIdOf(req), body });
      res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
    };
    let listener = parts.problems ? parts.problems.node(app) : app;
    for (const part of [...parts.before].reverse()) listener = part.node(listener);
    const server = createServer(listener);
    return { port: await listen(server), sseSignals, close: closer(server) };
  }
  if (framework === 'express') {
    const app = express();
    for (const part of parts.before) app.use(part.express);
    app.use(express.json());
    app.get('/sse', (req, res) => {
      sseSignals.push(safeSignal(req) as AbortSignal);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
    });
    for (const [path, route] of Object.entries(routes)) {
      app.all(path, async (req, res) => {
        const answer = await route({ signal: safeSignal(req), requestId: requestIdOf(req), body: req.body });
        res.status(answer.status).type('text/plain').send(answer.body);
      });
    }
    if (parts.problems) app.use(parts.problems.express);
    const server = createServer(app);
    return { port: await listen(server), sseSignals, close: closer(server) };
  }
  if (framework === 'fastify') {
    const app = Fastify();
    for (const part of parts.before) await app.register(part.fastify);
    if (parts.problems) await app.register(parts.problems.fastify);
    app.get('/sse', (request, reply) => {
      sseSignals.push(safeSignal(request) as AbortSignal);
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      reply.raw.write('data: one\n\n');
    });
    for (const [path, route] of Object.entries(routes)) {
      app.route({
        method: ['GET', 'POST'],
        url: path,
        handler: async (request, reply) => {
          const answer = await route({
            signal: safeSignal(request),
            requestId: requestIdOf(request),
            body: request.body,
          });
          reply.code(answer.status).type('text/plain');
          return answer.body;
        },
      });
    }
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    return {
      port,
      sseSignals,
      close: async () => {
        app.server.closeAllConnections();
        await app.close();
      },
    };
  }
  const app = new Hono();
  for (const part of parts.before) app.use(part.hono);
  if (parts.problems) app.onError(parts.problems.hono);
  app.get('/sse', (c) => {
    sseSignals.push(safeSignal(c) as AbortSignal);
    return streamSSE(c, async (stream) => {
      await stream.writeSSE({ data: 'one' });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
    });
  });
  for (const [path, route] of Object.entries(routes)) {
    app.on(['GET', 'POST'], path, async (c) => {
      const body = c.req.method === 'POST' ? await c.req.json() : undefined;
      const answer = await route({ signal: safeSignal(c), requestId: requestIdOf(c), body });
      return c.text(answer.body, answer.status as 200);
    });
  }
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  return { port: (server.address() as AddressInfo).port, sseSignals, close: closer(server) };
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly text: string;
  json(): Record<string, unknown>;
}

/** A real request on a fresh connection; `hold` gets the request to destroy it midway. */
export function get(
  port: number,
  path: string,
  options: { headers?: Record<string, string>; method?: string; body?: unknown } = {},
): Promise<Reply> & { req: ReturnType<typeof httpRequest> } {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers = { ...options.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  let req!: ReturnType<typeof httpRequest>;
  const promise = new Promise<Reply>((resolve, reject) => {
    req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  return Object.assign(promise, { req });
}

/** Resolves once `signal` aborts, with its reason. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

/** A promise and its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets real I/O run: a few turns of the event loop. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}
