import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import {
  deadlineOf,
  loadShedder,
  type ProblemResponse,
  problemDetails,
  problemHandler,
  requestDeadline,
  requestId,
  requestIdOf,
} from 'bulwark/http';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';

const ids = requestId();
const shedder = loadShedder();
const deadline = requestDeadline({ ms: 1000 });
const problems = problemHandler();

describe('bulwark/http fits each framework as its own types say', () => {
  it('node:http: the wrappers nest and give createServer a listener', () => {
    const listener = ids.node(shedder.node(deadline.node(problems.node(async (_req, res) => void res.end()))));
    expectTypeOf(listener).toEqualTypeOf<(req: IncomingMessage, res: ServerResponse) => void>();
    createServer(listener);
  });

  it('express 5: middleware and error middleware, deadlineOf on its request', () => {
    const app = express();
    app.use(ids.express, shedder.express, deadline.express);
    app.get('/x', (req, res) => {
      expectTypeOf(deadlineOf(req)).toEqualTypeOf<AbortSignal>();
      expectTypeOf(requestIdOf(req)).toEqualTypeOf<string | undefined>();
      res.end();
    });
    app.use(problems.express);
  });

  it('fastify 5: plugins for register, deadlineOf on its request', async () => {
    const app = Fastify();
    await app.register(ids.fastify);
    await app.register(shedder.fastify);
    await app.register(deadline.fastify);
    await app.register(problems.fastify);
    app.get('/x', async (request) => {
      expectTypeOf(deadlineOf(request)).toEqualTypeOf<AbortSignal>();
      return requestIdOf(request);
    });
  });

  it('hono: middleware for use, onError, deadlineOf on its context, with or without declared bindings', () => {
    const typed = new Hono<{ Bindings: HttpBindings }>();
    typed.use(ids.hono, shedder.hono, deadline.hono);
    typed.onError(problems.hono);
    typed.get('/x', (c) => c.text(String(deadlineOf(c).aborted)));
    const plain = new Hono();
    plain.use(ids.hono);
    plain.onError(problems.hono);
    plain.get('/x', (c) => c.text(requestIdOf(c) ?? ''));
  });

  it('problemDetails returns the response to send', () => {
    expectTypeOf(problemDetails(new Error('x'))).toEqualTypeOf<ProblemResponse>();
  });
});
