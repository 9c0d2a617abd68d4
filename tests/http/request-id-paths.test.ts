/**
 * The request id reaches the client on every path a response can take, now that it is added as
 * the head is written rather than set up front: each way a handler writes, each answer another
 * part gives, on node:http and express. And node's own prototypes are left alone.
 */
import { createServer, IncomingMessage, OutgoingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadShedder, problemHandler, requestDeadline, requestId, requestIdOf } from 'bulwark/http';
import { FakeClock } from 'bulwark/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.js';
import { get, turns } from './apps.js';

failOnUnhandledRejections();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Own properties of node's prototypes, to show that nothing was added, replaced or removed. */
function prototypeSnapshot(): Map<string, unknown> {
  const seen = new Map<string, unknown>();
  for (const [name, proto] of [
    ['ServerResponse', ServerResponse.prototype],
    ['OutgoingMessage', OutgoingMessage.prototype],
    ['IncomingMessage', IncomingMessage.prototype],
  ] as const) {
    for (const key of Reflect.ownKeys(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key);
      seen.set(`${name}.${String(key)}`, d?.value ?? d?.get);
    }
  }
  return seen;
}
const before = prototypeSnapshot();
const sharedHeaders = Object.freeze({ 'content-type': 'text/plain' });
const seenResponses: ServerResponse[] = [];

/** One route per way of writing a response, written as a plain node:http handler. */
const routes: Record<string, Handler> = {
  '/object': (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('object'),
  '/reason': (_req, res) => void res.writeHead(200, 'Fine', { 'content-type': 'text/plain' }).end('reason'),
  '/shared': (_req, res) => void res.writeHead(200, sharedHeaders).end('shared'),
  '/flat': (_req, res) => void res.writeHead(200, ['content-type', 'text/plain', 'x-extra', 'a']).end('flat'),
  '/pairs': (_req, res) => void res.writeHead(200, [['content-type', 'text/plain']]).end('pairs'),
  '/status-only': (_req, res) => void res.writeHead(204).end(),
  '/end-only': (_req, res) => void res.end('end'),
  '/set-then-end': (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.statusCode = 201;
    res.end('set');
  },
  '/set-then-object': (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('merged');
  },
  '/flush': (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.flushHeaders();
    setImmediate(() => res.end('flushed'));
  },
  '/stream': (_req, res) => {
    res.write('one,');
    setImmediate(() => res.end('two'));
  },
  '/sse': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: one\n\n');
    setImmediate(() => res.end());
  },
  '/own-set': (_req, res) => {
    res.setHeader('X-Request-Id', 'mine-1');
    res.end('own');
  },
  '/own-object': (_req, res) => void res.writeHead(200, { 'X-Request-ID': 'mine-2' }).end('own'),
  '/own-flat': (_req, res) => void res.writeHead(200, ['X-REQUEST-ID', 'mine-3']).end('own'),
  '/wrapped-before': (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('wrapped'),
  '/identity': (req, res) => {
    seenResponses.push(res);
    res.end(String(res instanceof ServerResponse && requestIdOf(req) !== undefined));
  },
  '/throws': () => {
    throw new Error('boom');
  },
  '/hang': () => {},
};

/** What another middleware installed before requestId might do: its own writeHead on the response. */
function stampFirst(req: IncomingMessage, res: ServerResponse): void {
  if (req.url !== '/wrapped-before') return;
  const theirs = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    this.setHeader('x-stamped', 'yes');
    return theirs.apply(this, args);
  } as ServerResponse['writeHead'];
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe.each(['node', 'express'] as const)('the request id on every response path, on %s', (framework) => {
  const clock = new FakeClock();
  const ids = requestId();
  const deadline = requestDeadline({ ms: 1000, clock, exempt: (req) => req.url !== '/hang' });
  const strict = requestDeadline({ ms: 1000, clock, status: 408, exempt: (req) => req.url !== '/hang408' });
  const problems = problemHandler();
  let server: Server;
  let port: number;

  beforeAll(async () => {
    if (framework === 'node') {
      const app: Handler = (req, res) => {
        const route = req.url === '/hang408' ? routes['/hang'] : routes[req.url ?? ''];
        if (route === undefined) res.writeHead(404).end();
        else route(req, res);
      };
      const inner = ids.node(deadline.node(strict.node(problems.node(app))));
      server = createServer((req, res) => {
        stampFirst(req, res);
        inner(req, res);
      });
    } else {
      const app = express();
      app.use((req, res, next) => {
        stampFirst(req, res);
        next();
      });
      app.use(ids.express, deadline.express, strict.express);
      for (const [path, route] of Object.entries(routes)) app.get(path, route);
      app.get('/hang408', routes['/hang'] as Handler);
      app.get('/send', (_req, res) => void res.send('sent'));
      app.get('/json', (_req, res) => void res.status(202).json({ ok: true }));
      app.get('/async-throws', async () => {
        await Promise.resolve();
        throw new Error('boom');
      });
      app.use(problems.express);
      server = createServer(app);
    }
    port = await listen(server);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });

  const paths = [
    ['/object', 200, 'object'],
    ['/reason', 200, 'reason'],
    ['/shared', 200, 'shared'],
    ['/flat', 200, 'flat'],
    // Express sets x-powered-by first, and node:http refuses [[name, value]] pairs once a header is set.
    ...(framework === 'node' ? ([['/pairs', 200, 'pairs']] as const) : []),
    ['/status-only', 204, ''],
    ['/end-only', 200, 'end'],
    ['/set-then-end', 201, 'set'],
    ['/set-then-object', 200, 'merged'],
    ['/flush', 200, 'flushed'],
    ['/stream', 200, 'one,two'],
    ['/sse', 200, 'data: one\n\n'],
    ['/wrapped-before', 200, 'wrapped'],
    ['/identity', 200, 'true'],
    ...(framework === 'express'
      ? ([
          ['/send', 200, 'sent'],
          ['/json', 202, '{"ok":true}'],
        ] as const)
      : []),
  ] as const;

  it.each(paths)(
    '%s: a new id, once, and the rest of the response as the handler wrote it',
    async (path, status, body) => {
      const res = await get(port, path);
      expect(res.status).toBe(status);
      expect(res.text).toBe(body);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.headers['x-request-id']).not.toContain(',');
    },
  );

  it.each(paths)('%s: a well-formed incoming id is sent back', async (path) => {
    const res = await get(port, path, { headers: { 'x-request-id': 'client-7' } });
    expect(res.headers['x-request-id']).toBe('client-7');
  });

  it('keeps what the handler wrote beside the id: the other headers, the reason, the headers set before', async () => {
    expect((await get(port, '/flat')).headers['x-extra']).toBe('a');
    expect((await get(port, '/set-then-object')).headers['cache-control']).toBe('no-store');
    expect((await get(port, '/wrapped-before')).headers['x-stamped']).toBe('yes');
    expect((await get(port, '/sse')).headers['content-type']).toBe('text/event-stream');
    expect(Object.keys(sharedHeaders)).toEqual(['content-type']);
  });

  it('replaces a malformed incoming id, and one sent twice; reads the name in any case', async () => {
    const res = await get(port, '/object', { headers: { 'x-request-id': 'a b"}\t{' } });
    expect(res.headers['x-request-id']).toMatch(UUID);
    const twice = await get(port, '/object', { headers: { 'x-request-id': ['dup-1', 'dup-2'] as never } });
    expect(twice.headers['x-request-id']).toMatch(UUID);
    const upper = await get(port, '/object', { headers: { 'X-REQUEST-ID': 'upper-1' } });
    expect(upper.headers['x-request-id']).toBe('upper-1');
  });

  it.each([
    ['/own-set', 'mine-1'],
    ['/own-object', 'mine-2'],
    ['/own-flat', 'mine-3'],
  ])('%s: an id header the handler set itself wins, in any case, and is sent once', async (path, mine) => {
    const res = await get(port, path, { headers: { 'x-request-id': 'client-8' } });
    expect(res.headers['x-request-id']).toBe(mine);
  });

  it('carries the id on a problem+json answer', async () => {
    for (const path of framework === 'express' ? ['/throws', '/async-throws'] : ['/throws']) {
      const res = await get(port, path, { headers: { 'x-request-id': 'req-9' } });
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.headers['x-request-id']).toBe('req-9');
      expect(res.json()).toMatchObject({ requestId: 'req-9' });
    }
  });

  it.each([
    ['/hang', 503],
    ['/hang408', 408],
  ])("carries the id on the deadline's answer to %s (%s)", async (path, status) => {
    const reply = get(port, path, { headers: { 'x-request-id': `late-${status}` } });
    await turns(10);
    await clock.advance(1000);
    const res = await reply;
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['x-request-id']).toBe(`late-${status}`);
  });

  it("leaves node's prototypes alone: every response stays a ServerResponse, with only its own writeHead added", () => {
    expect(prototypeSnapshot()).toEqual(before);
    expect(seenResponses.length).toBeGreaterThan(0);
    for (const res of seenResponses) {
      expect(res).toBeInstanceOf(ServerResponse);
      expect(Object.hasOwn(res, 'writeHead')).toBe(true);
      expect(Object.getPrototypeOf(res).writeHead).not.toBe(res.writeHead);
    }
  });
});

describe('the request id on a load shedder refusal', () => {
  it('is sent with the 503 the shedder answers while overloaded', async () => {
    const clock = new FakeClock();
    // Any heap is over a 1-byte limit: one sample and the shedder refuses.
    const shedder = loadShedder({ maxHeapUsedBytes: 1, sampleIntervalMs: 100, overloadAfter: 1, clock });
    const server = createServer(requestId().node(shedder.node((_req, res) => void res.end('admitted'))));
    const port = await listen(server);
    try {
      await clock.advance(100);
      expect(shedder.overloaded).toBe(true);
      const res = await get(port, '/work', { headers: { 'x-request-id': 'shed-1' } });
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.headers['x-request-id']).toBe('shed-1');
    } finally {
      shedder.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  });
});

describe('the ids requestId makes', () => {
  it('are version 4 UUIDs, lower-case, all different, across many batches', () => {
    const listener = requestId().node(() => {});
    const made = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const req = { headers: {} } as IncomingMessage;
      listener(req, { setHeader() {} } as never);
      const id = requestIdOf(req) as string;
      expect(id).toMatch(UUID);
      made.add(id);
    }
    expect(made.size).toBe(10_000);
  });
});

describe('two requestIds on one response', () => {
  it.each(['node', 'express'] as const)(
    'each sends its own header on %s (an id and a correlation id)',
    async (framework) => {
      const ids = requestId();
      const correlation = requestId({ header: 'x-correlation-id', generate: () => 'corr-1' });
      const handler: Handler = (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('two');
      let server: Server;
      if (framework === 'node') {
        server = createServer(ids.node(correlation.node(handler)));
      } else {
        const app = express();
        app.use(ids.express, correlation.express);
        app.get('/two', handler);
        server = createServer(app);
      }
      const port = await listen(server);
      try {
        const res = await get(port, '/two', { headers: { 'x-request-id': 'req-2' } });
        expect(res.status).toBe(200);
        expect(res.headers['x-request-id']).toBe('req-2');
        expect(res.headers['x-correlation-id']).toBe('corr-1');
      } finally {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
    },
  );
});
