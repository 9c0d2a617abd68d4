import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealthChecker, type HealthHandler } from 'bulwark/health';
import { FakeClock } from 'bulwark/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(options: Parameters<typeof createHealthChecker>[0] = {}) {
  const clock = new FakeClock();
  const checker = createHealthChecker({ clock, random: () => 0.5, intervalMs: 1000, timeoutMs: 500, ...options });
  cleanups.push(async () => {
    const stopped = checker.stop();
    await clock.runAll();
    await stopped;
  });
  return { clock, checker };
}

async function serve(handler: HealthHandler | ((req: never, res: never) => void)): Promise<string> {
  const server: Server = createServer(handler as HealthHandler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function get(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  return {
    code: res.status,
    type: res.headers.get('content-type'),
    cache: res.headers.get('cache-control'),
    length: res.headers.get('content-length'),
    allow: res.headers.get('allow'),
    text,
    json:
      text === '' || !res.headers.get('content-type')?.includes('json')
        ? undefined
        : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** The one measurement under `key` in a health+json body's checks. */
function first(res: { json?: Record<string, unknown> | undefined }, key: string): unknown {
  const checks = (res.json?.checks ?? {}) as Record<string, unknown[] | undefined>;
  return checks[key]?.[0];
}

async function healthyService() {
  const { clock, checker } = setup();
  checker.register('db', async () => ({ status: 'pass', observedValue: 3, observedUnit: 'ms' }) as const);
  checker.register('loop', async () => {}, { groups: ['liveness'], measurement: 'delay' });
  checker.register('migrations', async () => {}, { groups: ['startup'] });
  checker.register('cache', async () => ({ status: 'warn', output: 'slow' }) as const, { critical: false });
  checker.start();
  await clock.advance(0);
  const base = await serve(checker.handler({ releaseId: '1.4.2', serviceId: 'orders' }));
  return { clock, checker, base };
}

describe('health handler on a real node:http server', () => {
  it('serves each path with its view, the health+json type, no-store and a content length', async () => {
    const { base } = await healthyService();
    const health = await get(`${base}/health`);
    expect(health).toMatchObject({
      code: 200,
      type: 'application/health+json',
      cache: 'no-store',
      json: { status: 'warn' },
    });
    expect(Number(health.length)).toBe(Buffer.byteLength(health.text));
    expect(Object.keys(health.json ?? {})).toEqual(['status']);

    const ready = await get(`${base}/health/ready`);
    expect(ready.code).toBe(200);
    expect(ready.json).toMatchObject({
      status: 'warn',
      releaseId: '1.4.2',
      serviceId: 'orders',
      output: 'warning: cache',
    });
    expect(Object.keys(ready.json?.checks as object)).toEqual(['db:status', 'cache:status']);
    expect(first(ready, 'db:status')).toMatchObject({
      componentId: 'db',
      status: 'pass',
      observedValue: 3,
      observedUnit: 'ms',
      durationMs: 0,
    });
    expect(String(ready.json?.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const live = await get(`${base}/health/live`);
    expect(live.code).toBe(200);
    expect(Object.keys(live.json?.checks as object)).toEqual(['loop:delay']);

    const startup = await get(`${base}/health/startup`);
    expect(Object.keys(startup.json?.checks as object)).toEqual(['migrations:status']);

    const detailed = await get(`${base}/health/detailed`);
    expect(Object.keys(detailed.json?.checks as object).sort()).toEqual([
      'cache:status',
      'db:status',
      'loop:delay',
      'migrations:status',
    ]);
    expect(detailed.json?.status).toBe('warn');
  });

  it('503 for fail, with the redacted error; 200 again once the check recovers', async () => {
    const { clock, checker } = setup();
    let down = true;
    checker.register('db', async () => {
      if (down) throw new Error('connect failed: postgres://app:hunter22@db.internal:5432/main');
    });
    checker.start();
    await clock.advance(0);
    const base = await serve(checker.handler());
    const ready = await get(`${base}/health/ready`);
    expect(ready.code).toBe(503);
    expect(ready.text).not.toContain('hunter22');
    expect(first(ready, 'db:status')).toMatchObject({
      status: 'fail',
      output: 'connect failed: postgres://app:[REDACTED]@db.internal:5432/main',
    });
    expect((await get(`${base}/health`)).code).toBe(503);
    down = false;
    await clock.advance(1000);
    expect((await get(`${base}/health`)).code).toBe(200);
  });

  it('HEAD gets the headers without a body; other methods get 405 with Allow', async () => {
    const { base } = await healthyService();
    const head = await get(`${base}/health/ready`, { method: 'HEAD' });
    const full = await get(`${base}/health/ready`);
    expect(head).toMatchObject({ code: 200, type: 'application/health+json', cache: 'no-store', text: '' });
    expect(head.length).toBe(full.length);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await get(`${base}/health`, { method });
      expect(res).toMatchObject({ code: 405, allow: 'GET, HEAD', cache: 'no-store' });
    }
  });

  it('ignores the query string and a trailing slash; 404 for other paths, or next() when given', async () => {
    const { base } = await healthyService();
    expect((await get(`${base}/health/live?verbose=1`)).code).toBe(200);
    expect((await get(`${base}/health/live/`)).code).toBe(200);
    expect((await get(`${base}/other`)).code).toBe(404);

    const { checker } = setup();
    const probes = checker.handler();
    const app = await serve((req: Parameters<HealthHandler>[0], res: Parameters<HealthHandler>[1]) =>
      probes(req, res, () => {
        res.statusCode = 200;
        res.end('the app');
      }),
    );
    expect((await get(`${app}/orders`)).text).toBe('the app');
    expect((await get(`${app}/health/live`)).json).toMatchObject({ status: 'pass' });
  });

  it('paths are configurable, and false turns one off', async () => {
    const { checker } = setup();
    checker.register('db', async () => {});
    const base = await serve(checker.handler({ paths: { live: '/livez', ready: '/readyz', detailed: false } }));
    expect((await get(`${base}/livez`)).code).toBe(200);
    expect((await get(`${base}/readyz`)).code).toBe(503);
    expect((await get(`${base}/health/detailed`)).code).toBe(404);
    expect((await get(`${base}/health/live`)).code).toBe(404);
  });

  it('refuses bad handler options', () => {
    const { checker } = setup();
    expect(() => checker.handler({ paths: { live: 'livez' } })).toThrow(
      /"paths.live" must be a path starting with "\/"/,
    );
    expect(() => checker.handler({ paths: { live: '/x', ready: '/x' } })).toThrow(/already the path of "live"/);
    expect(() => checker.handler({ paths: { lively: '/x' } as never })).toThrow(/unknown option "lively"/);
    expect(() => checker.handler({ port: 3 } as never)).toThrow(/unknown option "port"/);
    expect(() => checker.handler({ releaseId: 7 } as never)).toThrow(/"releaseId" must be a string/);
  });

  it('answers at once while a check hangs (never settles), and never runs a check per request', async () => {
    const { checker } = setup({ timeoutMs: 10_000, intervalMs: 20_000 });
    let runs = 0;
    let hanging = false;
    checker.register('slow-db', () => {
      runs++;
      hanging = true;
      return new Promise<void>(() => {});
    });
    checker.register('loop', async () => {}, { groups: ['liveness'] });
    checker.start();
    const base = await serve(checker.handler());
    expect(hanging).toBe(true);
    // The fake clock never moves: the check is still hanging when every one of these is answered.
    const answers = await Promise.all(Array.from({ length: 50 }, () => get(`${base}/health/ready`)));
    for (const answer of answers) {
      expect(answer.code).toBe(503);
      expect(first(answer, 'slow-db:status')).toMatchObject({
        output: 'not checked yet',
      });
    }
    expect((await get(`${base}/health/live`)).code).toBe(200);
    expect(runs).toBe(1);
  });

  it('a throwing check, a never-settling one and one returning garbage are each reported; none crashes', async () => {
    const { clock, checker } = setup();
    checker.register('throws', () => {
      throw new TypeError('boom');
    });
    checker.register('rejects-non-error', () => Promise.reject(42));
    checker.register('never', () => new Promise<void>(() => {}));
    checker.register('garbage-string', () => 'ok' as never);
    checker.register('garbage-status', async () => ({ status: 'ok' }) as never);
    checker.register('garbage-bigint', async () => ({ status: 'pass', observedValue: 10n }) as never);
    checker.register('hostile', () => {
      const value = {};
      Object.defineProperty(value, 'status', {
        get() {
          throw new Error('getter');
        },
      });
      return value as never;
    });
    checker.start();
    await clock.advance(500);
    const base = await serve(checker.handler());
    const detailed = await get(`${base}/health/detailed`);
    expect(detailed.code).toBe(503);
    const out = (name: string) => first(detailed, name) as { output: string } | undefined;
    expect(out('throws:status')).toMatchObject({ status: 'fail', output: 'TypeError: boom' });
    expect(out('rejects-non-error:status')).toMatchObject({ status: 'fail', output: '42' });
    expect(out('never:status')).toMatchObject({ status: 'fail', output: 'timed out after 500 ms' });
    expect(out('garbage-string:status')?.output).toMatch(/^invalid check result \(not an object\)/);
    expect(out('garbage-status:status')?.output).toMatch(/^invalid check result \(status "ok" \(string\)\)/);
    expect(out('garbage-bigint:status')?.output).toMatch(/observedValue is not JSON-serializable/);
    expect(out('hostile:status')?.output).toMatch(/^invalid check result/);
  });

  it('drains on shutdown: /health fails at once, liveness stays, the server keeps answering until drainMs', async () => {
    const { clock, checker } = setup();
    checker.register('db', async () => {});
    checker.register('loop', async () => {}, { groups: ['liveness'] });
    checker.start();
    await clock.advance(0);
    const base = await serve(checker.handler());
    expect((await get(`${base}/health`)).code).toBe(200);
    let drained = false;
    const shutdown = checker.shutdown({ drainMs: 5000 }).then(() => (drained = true));
    expect(await get(`${base}/health`)).toMatchObject({ code: 503, json: { status: 'fail', output: 'shutting down' } });
    expect(await get(`${base}/health/ready`)).toMatchObject({ code: 503, json: { output: 'shutting down' } });
    expect((await get(`${base}/health/live`)).code).toBe(200);
    await clock.advance(4999);
    expect(drained).toBe(false);
    expect((await get(`${base}/health/live`)).code).toBe(200);
    await clock.advance(1);
    await shutdown;
    expect(drained).toBe(true);
    expect((await get(`${base}/health`)).code).toBe(503);
  });

  it('handleSignals: the signal starts the drain, onShutdown runs after it, stop() removes the hook', async () => {
    const { clock, checker } = setup();
    checker.register('db', async () => {});
    checker.start();
    await clock.advance(0);
    const before = process.listenerCount('SIGUSR2');
    const order: string[] = [];
    checker.handleSignals({
      signals: ['SIGUSR2'],
      drainMs: 1000,
      exit: false,
      onShutdown: () => {
        order.push(`closed at ${clock.now()}`);
      },
    });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    process.emit('SIGUSR2', 'SIGUSR2');
    process.emit('SIGUSR2', 'SIGUSR2'); // a second signal during the drain changes nothing
    expect(checker.draining).toBe(true);
    expect(checker.status('readiness').status).toBe('fail');
    await clock.advance(1000);
    await clock.advance(0);
    expect(order).toEqual(['closed at 1000']);
    expect(process.listenerCount('SIGUSR2')).toBe(before);

    const { checker: other } = setup();
    const remove = other.handleSignals({ signals: ['SIGUSR2'], exit: false });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    await other.stop();
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    remove();
    expect(() => other.handleSignals({ signals: ['TERM'] as never })).toThrow(/"signals" must be a non-empty array/);
    expect(() => other.handleSignals({ drainMs: -1 })).toThrow(/"drainMs" must be a number of milliseconds from 0/);
    expect(process.listenerCount('SIGUSR2')).toBe(before);
  });
});
