/**
 * HTTP responses as outcomes (issue 13): a real local server answering 503 / 429 / 404, a real
 * fetch, and the README's pipeline around it. A 503 must be retried and counted by the breaker,
 * a 429's Retry-After honoured and not counted, a 404 passed through at once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classify, compose, HttpError, retryAfterMs, throwIfNotOk } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { constant, retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

let server: Server;
let base: string;
/** Requests the server saw, by path. */
const hits = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    if (path === '/down') res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
    else if (path === '/limited') res.writeHead(429, { 'retry-after': '3' }).end();
    else if (path === '/missing') res.writeHead(404).end();
    else if (path === '/flaky') res.writeHead(n <= 2 ? 503 : 200).end(n <= 2 ? '' : '{"ok":true}');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"42"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('HttpError and throwIfNotOk', () => {
  it('keep status, reason, headers and the URL without its query', async () => {
    const res = await fetch(`${base}/limited?token=s3cret`);
    const error = (() => {
      try {
        throwIfNotOk(res);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ code: 'ERR_HTTP', status: 429, statusText: 'Too Many Requests' });
    expect((error as HttpError).url).toBe(`${base}/limited`);
    expect((error as Error).message).toBe(`HTTP 429 Too Many Requests (${base}/limited)`);
    expect((error as Error).message).not.toContain('s3cret');
    expect(classify(error)).toBe('retryable');
    expect(retryAfterMs(error)).toBe(3000);
  });

  it('return a 2xx response untouched, its body unread', async () => {
    const res = await fetch(`${base}/users/42`);
    expect(throwIfNotOk(res)).toBe(res);
    expect(await res.json()).toEqual({ id: '42' });
  });

  it('classify a 404 permanent and a 503 retryable', async () => {
    expect(classify(HttpError.from(await fetch(`${base}/missing`)))).toBe('permanent');
    expect(classify(HttpError.from(await fetch(`${base}/down`)))).toBe('retryable');
  });

  it('refuse a status that is not HTTP', () => {
    expect(() => new HttpError({ status: 42 })).toThrow(/option "status" must be an HTTP status from 100 to 599/);
    expect(HttpError.from({ status: 502 }).message).toBe('HTTP 502');
  });

  it('work across two copies of the package (instanceof by brand)', () => {
    const foreign = Object.create(Object.getPrototypeOf(HttpError.from({ status: 500 })));
    expect(foreign instanceof HttpError).toBe(true);
  });
});

describe('the README quick start against an upstream that answers 503', () => {
  it('retries, and the breaker opens instead of 503 passing as success', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ name: 'users-api', trip: consecutiveFailures(3), clock });
    const retries = retry({ attempts: 4, backoff: constant(100), clock });
    const reasons: string[] = [];
    retries.on('giveUp', ({ reason }) => reasons.push(reason));
    const usersApi = compose(retries, breaker);
    hits.delete('/down');
    const call = usersApi
      .execute(async ({ signal }) => throwIfNotOk(await fetch(`${base}/down`, { signal })))
      .catch((e: unknown) => e);
    for (let i = 0; i < 10 && hits.get('/down') !== 3; i++) await clock.runAll().then(() => tick());
    const error = await call;
    expect(error).toMatchObject({ status: 503 });
    expect(hits.get('/down')).toBe(3);
    expect(breaker.state).toBe('open');
    expect(reasons).toEqual(['rejected']);
  });

  it('rides out two 503s and returns the third answer', async () => {
    const clock = new FakeClock();
    const usersApi = compose(retry({ attempts: 4, backoff: constant(100), clock }), circuitBreaker({ clock }));
    hits.delete('/flaky');
    const call = usersApi.execute(async ({ signal }) => throwIfNotOk(await fetch(`${base}/flaky`, { signal })));
    while (hits.get('/flaky') !== 3) await clock.runAll().then(() => tick());
    expect(await (await call).json()).toEqual({ ok: true });
  });
});

describe('a 429 from the dependency', () => {
  it('is retried after its Retry-After, and does not open the breaker', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ trip: consecutiveFailures(1), clock });
    const retries = retry({ attempts: 2, backoff: constant(10), clock });
    const delays: number[] = [];
    retries.on('retry', ({ delayMs }) => delays.push(delayMs));
    const ignored: unknown[] = [];
    breaker.on('ignored', ({ error }) => ignored.push(error));
    const call = compose(retries, breaker)
      .execute(async ({ signal }) => throwIfNotOk(await fetch(`${base}/limited`, { signal })))
      .catch((e: unknown) => e);
    while (delays.length === 0) await tick();
    await clock.advance(3000);
    expect(await call).toMatchObject({ status: 429 });
    expect(delays).toEqual([3000]);
    expect(ignored).toHaveLength(2);
    expect(breaker.state).toBe('closed');
  });
});

describe('a result predicate shared by retry and breaker', () => {
  const failing = (res: Response) => res.status >= 500;

  it('retries a returned 503, counts it in the breaker, and resolves with the last response', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ trip: consecutiveFailures(10), isResultFailure: failing, clock });
    const retries = retry({ attempts: 3, backoff: constant(50), isResultFailure: failing, clock });
    const outcomes: string[] = [];
    breaker.on('failure', () => outcomes.push('failure'));
    retries.on('giveUp', ({ reason, attempts }) => outcomes.push(`giveUp ${reason} after ${attempts}`));
    hits.delete('/down');
    const call = compose(retries, breaker).execute(({ signal }) => fetch(`${base}/down`, { signal }));
    while (hits.get('/down') !== 3) await clock.runAll().then(() => tick());
    const res = await call;
    expect(res.status).toBe(503);
    expect(outcomes).toEqual(['failure', 'failure', 'failure', 'giveUp exhausted after 3']);
  });

  it('stops at once, resolving with the value, when a refused value opened the breaker', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ trip: consecutiveFailures(2), isResultFailure: failing, clock });
    const retries = retry({ attempts: 5, backoff: constant(1000), isResultFailure: failing, clock });
    const reasons: string[] = [];
    retries.on('giveUp', ({ reason }) => reasons.push(reason));
    hits.delete('/down');
    const call = compose(retries, breaker).execute(({ signal }) => fetch(`${base}/down`, { signal }));
    while (hits.get('/down') !== 2) await clock.runAll().then(() => tick());
    expect((await call).status).toBe(503);
    expect(reasons).toEqual(['rejected']);
    expect(breaker.state).toBe('open');
    expect(clock.now()).toBe(1000); // one wait, none after the attempt that opened it
  });

  it('honours the Retry-After of a returned response', async () => {
    const clock = new FakeClock();
    const retries = retry({
      attempts: 2,
      backoff: constant(1),
      isResultFailure: (res: Response) => res.status === 429,
      clock,
    });
    const delays: number[] = [];
    retries.on('retry', ({ delayMs }) => delays.push(delayMs));
    const call = retries.execute(({ signal }) => fetch(`${base}/limited`, { signal }));
    while (delays.length === 0) await tick();
    await clock.advance(3000);
    expect((await call).status).toBe(429);
    expect(delays).toEqual([3000]);
  });
});

/** Lets the real socket I/O of the local server make progress. */
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5));
}

describe('issue 13 item 5 and 9 rules', () => {
  it('a breaker does not count another policy refusing the call', async () => {
    const { BulkheadRejectedError, RateLimitedError } = await import('bulwark');
    const breaker = circuitBreaker({ trip: consecutiveFailures(1) });
    for (const refusal of [
      new BulkheadRejectedError({ policy: 'pool', retryAfterMs: 10 }),
      new RateLimitedError({ policy: 'provider', retryAfterMs: 10 }),
    ]) {
      await expect(
        breaker.execute(() => {
          throw refusal;
        }),
      ).rejects.toBe(refusal);
    }
    expect(breaker.state).toBe('closed');
  });

  it("an async shouldRetry's time counts against maxElapsedMs", async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const policy = retry({
      attempts: 5,
      backoff: constant(10),
      maxElapsedMs: 200,
      clock,
      // A slow decision (a lookup, a log flush): 300 ms of the 200 ms budget.
      shouldRetry: () => new Promise<boolean>((resolve) => clock.setTimeout(() => resolve(true), 300)),
    });
    const reasons: string[] = [];
    policy.on('giveUp', ({ reason }) => reasons.push(reason));
    const call = policy
      .execute(async () => {
        attempts++;
        throw new Error('flaky');
      })
      .catch((e: unknown) => e);
    await clock.runAll();
    await call;
    expect(attempts).toBe(1);
    expect(reasons).toEqual(['deadline']);
  });

  it("a browser's fetch network failure is retryable; other TypeErrors are not", () => {
    for (const message of ['Failed to fetch', 'NetworkError when attempting to fetch resource.', 'Load failed']) {
      expect(classify(new TypeError(message)), message).toBe('retryable');
    }
    expect(classify(new TypeError('fetch failed'))).toBe('permanent'); // Node's has a cause
    expect(classify(new TypeError('fetch failed', { cause: new Error('ECONNRESET') }))).toBe('retryable');
    expect(classify(new TypeError('Failed to fetch user'))).toBe('permanent');
  });
});
