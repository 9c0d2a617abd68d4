// Breakers and retry budgets shared through a real redis-server, several "replicas" in one
// process (each its own client, store and replica id); the multi-process proofs are in
// replicas.test.ts and faults.test.ts.
import { CircuitOpenError } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { redisStore } from 'bulwark/redis';
import { retryBudget } from 'bulwark/retry';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, testPrefix } from '../helpers/redis.js';

const url = redisUrl();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fail = () => Promise.reject(new Error('down'));
const ok = () => 'ok';

async function until(check: () => boolean, ms = 3000, poke: () => unknown = () => {}): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await poke();
    await sleep(10);
  }
}

describe.skipIf(url === undefined)('shared breaker and retry budget on a real redis-server', () => {
  // Connected before the tests start: a store decides alone until its client is ready.
  const clients: Redis[] = [];
  let next = 0;
  const client = () => clients[next++] as Redis;
  beforeAll(async () => {
    for (let i = 0; i < 12; i++) clients.push(new Redis(url as string));
    await Promise.all(clients.map((c) => c.ping()));
  });
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });

  it('isolate() on one replica isolates every replica until it is released', async () => {
    const prefix = testPrefix('isolate');
    const make = (replica: string) =>
      circuitBreaker({
        name: 'payments',
        openMs: 100,
        shared: { store: redisStore({ client: client(), prefix, commandTimeoutMs: 200 }), syncMs: 30, replica },
      });
    const a = make('a');
    const b = make('b');
    await a.execute(ok);
    await b.execute(ok);
    const release = a.isolate();
    await until(
      () => b.state === 'isolated',
      3000,
      () => b.execute(ok).catch(() => {}),
    );
    await expect(b.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await until(
      () => b.state !== 'isolated',
      3000,
      () => b.execute(ok).catch(() => {}),
    );
    await until(
      () => b.state === 'closed',
      3000,
      () => b.execute(ok).catch(() => {}),
    );
    expect(a.state).not.toBe('isolated');
  });

  it('a crashed prober holds its lease only until it expires', async () => {
    const store = redisStore({ client: client(), prefix: testPrefix('lease') });
    const rule = { quorum: 1, openMs: 1000, reportTtlMs: 1000, probes: 1, leaseMs: 150 };
    expect((await store.leaseProbe('db', 'crashed', -1, rule))?.answer).toBe('granted');
    expect((await store.leaseProbe('db', 'other', -1, rule))?.answer).toBe('busy');
    await sleep(200);
    expect((await store.leaseProbe('db', 'other', -1, rule))?.answer).toBe('granted');
  });

  it('opens for all only once quorum replicas tripped on their own', async () => {
    const prefix = testPrefix('quorum');
    const make = (replica: string) =>
      circuitBreaker({
        name: 'search',
        trip: consecutiveFailures(2),
        openMs: 5000,
        shared: {
          store: redisStore({ client: client(), prefix, commandTimeoutMs: 200 }),
          syncMs: 20,
          quorum: 2,
          replica,
        },
      });
    const [a, b, c] = [make('a'), make('b'), make('c')];
    for (const breaker of [a, b, c]) await breaker.execute(ok);
    for (let i = 0; i < 2; i++) await a.execute(fail).catch(() => {});
    expect(a.state).toBe('open');
    await sleep(60);
    for (let i = 0; i < 3; i++) await c.execute(ok);
    expect(c.state).toBe('closed'); // one vote of two
    for (let i = 0; i < 2; i++) await b.execute(fail).catch(() => {});
    await until(
      () => c.state === 'open',
      3000,
      () => c.execute(ok).catch(() => {}),
    );
    expect(c.stats().shared).toMatchObject({ connected: true, replica: 'c' });
    expect(c.stats().shared?.fleet?.votes).toBe(2);
  });

  it('a shared retry budget caps the retries of every replica together', async () => {
    const prefix = testPrefix('budget');
    const make = () =>
      retryBudget({
        ratio: 0.1,
        minPerSecond: 0,
        windowMs: 10_000,
        syncMs: 20,
        key: 'payments',
        store: redisStore({ client: client(), prefix, commandTimeoutMs: 200 }),
      });
    const a = make();
    const b = make();
    for (let i = 0; i < 100; i++) a.recordAttempt();
    for (let i = 0; i < 100; i++) b.recordAttempt();
    await sleep(50);
    a.recordAttempt(); // reports
    b.recordAttempt();
    await sleep(50);
    let taken = 0;
    for (let i = 0; i < 30; i++) {
      if (a.tryRetry()) taken++;
      if (b.tryRetry()) taken++;
      await sleep(5);
    }
    // 10% of ~200 first attempts across both. Between two reports a replica does not know what
    // the other took, so the fleet may overshoot by what one replica takes within one syncMs.
    expect(taken).toBeGreaterThanOrEqual(18);
    expect(taken).toBeLessThanOrEqual(30);
    expect(a.stats()).toMatchObject({ shared: true });
    expect(a.stats().firstAttempts).toBeGreaterThanOrEqual(200);
  });

  it('goes on alone when Redis is unreachable: the breaker trips locally, the budget uses its own window', async () => {
    const dead = new Redis('redis://127.0.0.1:6399', { lazyConnect: true, retryStrategy: () => null });
    dead.on('error', () => {});
    clients.push(dead);
    const store = redisStore({ client: dead, commandTimeoutMs: 20 });
    const breaker = circuitBreaker({ trip: consecutiveFailures(2), shared: { store, syncMs: 10 } });
    for (let i = 0; i < 2; i++) await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('open');
    const budget = retryBudget({ ratio: 0.5, minPerSecond: 0, store });
    for (let i = 0; i < 4; i++) budget.recordAttempt();
    await sleep(30);
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
    expect(budget.stats().shared).toBe(false);
    expect(store.mode).toBe('local');
  });

  it('refuses bad shared options by name', () => {
    const store = redisStore({ client: client() });
    expect(() => circuitBreaker({ shared: { store: {} as never } })).toThrow(
      /"shared.store" must be a BreakerStateStore/,
    );
    expect(() => circuitBreaker({ shared: { store, quorum: 0 } })).toThrow(/"shared.quorum"/);
    expect(() => circuitBreaker({ shared: { store, replica: 'a b' } })).toThrow(/"shared.replica"/);
    expect(() => circuitBreaker({ shared: { store, sync: 1 } as never })).toThrow(/unknown option "sync"/);
    expect(() => retryBudget({ store: {} as never })).toThrow(/option "store" must be a RetryBudgetStore/);
    expect(() => retryBudget({ key: 'x' })).toThrow(/need "store"/);
  });
});
