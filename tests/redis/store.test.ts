import { memoryRateLimitStore } from 'bulwark/rate-limit';
import { redisStore } from 'bulwark/redis';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownRedis, redisUrl, testPrefix } from '../helpers/redis.js';

const url = redisUrl();
const rule = { intervalMs: 1000, burst: 3, maxWaitMs: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(url === undefined)('redisStore on a real redis-server', () => {
  let io: Redis;
  let nr: ReturnType<typeof createClient>;
  beforeAll(async () => {
    io = new Redis(url as string);
    nr = createClient({ url: url as string });
    await Promise.all([nr.connect(), io.ping()]);
  });
  afterAll(async () => {
    io.disconnect();
    await nr.quit();
  });

  for (const which of ['ioredis', 'node-redis'] as const) {
    it(`${which}: grants the burst, then refuses with the exact wait, on one key with a TTL`, async () => {
      const client = which === 'ioredis' ? io : nr;
      const prefix = testPrefix('gcra');
      const store = redisStore({ client, prefix, commandTimeoutMs: 5000 });
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await store.take('provider', rule, 0));
      expect(decisions.slice(0, 3).map((d) => [d.granted, d.remaining])).toEqual([
        [true, 2],
        [true, 1],
        [true, 0],
      ]);
      expect(decisions[3]?.granted).toBe(false);
      // The next permit is one interval after the first: never early, at most a few ms of the calls' own time.
      expect(decisions[3]?.waitMs).toBeGreaterThan(500);
      expect(decisions[3]?.waitMs).toBeLessThanOrEqual(1000);
      expect(await io.keys(`${prefix}*`)).toEqual([`${prefix}rl:provider`]);
      const ttl = await io.pttl(`${prefix}rl:provider`);
      expect(ttl).toBeGreaterThan(2500);
      expect(ttl).toBeLessThanOrEqual(3000);
      expect(store.stats()).toMatchObject({ mode: 'shared', commands: 4, timeouts: 0, errors: 0 });
    });
  }

  it('reserves a permit within maxWaitMs and takes several permits at once with cost', async () => {
    const store = redisStore({ client: io, prefix: testPrefix('reserve'), commandTimeoutMs: 5000 });
    const waiting = { intervalMs: 100, burst: 1, maxWaitMs: 250 };
    const first = await store.take('k', waiting, 0);
    const second = await store.take('k', waiting, 0);
    const third = await store.take('k', waiting, 0);
    const fourth = await store.take('k', waiting, 0);
    expect([first.granted, second.granted, third.granted, fourth.granted]).toEqual([true, true, true, false]);
    expect(first.waitMs).toBe(0);
    expect(second.waitMs).toBeGreaterThan(80);
    expect(third.waitMs).toBeGreaterThan(150);
    const bulk = await store.take('bulk', { intervalMs: 100, burst: 5, maxWaitMs: 0 }, 0, 4);
    expect(bulk).toMatchObject({ granted: true, remaining: 1 });
    expect((await store.take('bulk', { intervalMs: 100, burst: 5, maxWaitMs: 0 }, 0, 2)).granted).toBe(false);
  });

  it('loads its script again after SCRIPT FLUSH, and says so', async () => {
    const prefix = testPrefix('flush');
    // Its own connection: SCRIPT FLUSH empties the cache of the whole server, which other tests share.
    const store = redisStore({ client: io, prefix, commandTimeoutMs: 5000 });
    const reloaded: string[] = [];
    store.on('scriptReloaded', ({ script }) => reloaded.push(script));
    expect((await store.take('k', rule, 0)).granted).toBe(true);
    await io.script('FLUSH');
    expect((await store.take('k', rule, 0)).granted).toBe(true);
    expect(reloaded).toEqual(['gcra']);
    expect(store.stats()).toMatchObject({ mode: 'shared', scriptReloads: 1, fallbacks: 0 });
  });

  it('resets a key that holds a string or a list, says what it found, and keeps limiting', async () => {
    const prefix = testPrefix('bad');
    const store = redisStore({ client: nr, prefix, commandTimeoutMs: 5000 });
    const bad: string[] = [];
    store.on('badData', ({ detail }) => bad.push(detail));
    await io.set(`${prefix}rl:k`, 'hello');
    expect((await store.take('k', rule, 0)).granted).toBe(true);
    await io.del(`${prefix}rl:k`);
    await io.lpush(`${prefix}rl:k`, 'x');
    expect((await store.take('k', rule, 0)).granted).toBe(true);
    expect(bad).toEqual([
      `${prefix}rl:k held hello, not a number; reset`,
      `${prefix}rl:k held a list, not a string; reset`,
    ]);
    expect(await io.type(`${prefix}rl:k`)).toBe('string');
    expect(store.stats()).toMatchObject({ mode: 'shared', badData: 2, fallbacks: 0 });
  });

  it('decides alone, with no event, until a new client has connected', async () => {
    const fresh = new Redis(url as string);
    try {
      const store = redisStore({ client: fresh, prefix: testPrefix('fresh'), commandTimeoutMs: 5000 });
      const events: string[] = [];
      store.on('fallback', () => events.push('fallback'));
      store.on('recovered', () => events.push('recovered'));
      expect(store.mode).toBe('local');
      expect((await store.take('k', rule, 0)).granted).toBe(true);
      expect(store.stats().commands).toBe(0);
      await fresh.ping();
      await store.take('k', rule, 0);
      expect(store.mode).toBe('shared');
      expect(events).toEqual([]);
    } finally {
      fresh.disconnect();
    }
  });

  it('refuses bad options by name', () => {
    expect(() => redisStore({ client: {} as never })).toThrow(/option "client" must be an ioredis/);
    expect(() => redisStore({ client: io, commandTimeoutMs: 0 })).toThrow(/"commandTimeoutMs"/);
    expect(() => redisStore({ client: io, replicas: 1.5 })).toThrow(/"replicas" must be a whole number/);
    expect(() => redisStore({ client: io, prefix: 'a b' })).toThrow(/"prefix"/);
    expect(() => redisStore({ client: io, ttl: 1 } as never)).toThrow(/unknown option "ttl"/);
  });
});

describe.skipIf(url === undefined)('redisStore when Redis goes away', () => {
  const server = ownRedis(6391);
  afterAll(() => server.stop());

  it('decides alone within the deadline while Redis is down, then shares again by itself', async () => {
    await server.start();
    const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 20 });
    client.on('error', () => {});
    await client.ping();
    try {
      const store = redisStore({ client, prefix: testPrefix('down'), commandTimeoutMs: 50, retryMs: 50, replicas: 2 });
      const events: string[] = [];
      store.on('fallback', ({ reason }) => events.push(`fallback:${reason}`));
      store.on('recovered', () => events.push('recovered'));
      const limit = { intervalMs: 100, burst: 4, maxWaitMs: 0 };
      expect((await store.take('k', limit, 0)).granted).toBe(true);
      await server.stop();
      const started = performance.now();
      const decision = await store.take('k', limit, 0);
      expect(performance.now() - started).toBeLessThan(50 + 40); // a few ms, on a busy machine
      expect(decision.granted).toBe(true);
      expect(store.mode).toBe('local');
      // Locally, this replica's share: burst 4 / 2 replicas = 2 permits at once.
      expect((await store.take('local', limit, 0)).remaining).toBe(1);
      // While local, calls do not wait on Redis at all (until retryMs has passed).
      const quick = performance.now();
      for (let i = 0; i < 20; i++) await store.take('k', limit, 1);
      expect(performance.now() - quick).toBeLessThan(20);
      await server.start();
      const deadline = performance.now() + 5000;
      while (store.mode === 'local' && performance.now() < deadline) {
        await store.take('k', limit, 2);
        await sleep(20);
      }
      expect(store.mode).toBe('shared');
      expect(events[0]).toMatch(/^fallback:/);
      expect(events.at(-1)).toBe('recovered');
    } finally {
      client.disconnect();
    }
  });
});

describe.skipIf(url === undefined)('the Lua GCRA against the in-memory store', () => {
  let io: Redis;
  beforeAll(async () => {
    io = new Redis(url as string);
    await io.ping();
  });
  afterAll(() => io.disconnect());

  it('grants and refuses the same calls, with the same remaining and waits, for any rule and costs', async () => {
    // Intervals of seconds, so the few ms Redis time moves during a run cannot tip a decision;
    // maxWaitMs half-way between two intervals, far from any boundary.
    const rules = fc.record({
      intervalMs: fc.integer({ min: 1000, max: 100_000 }),
      burst: fc.integer({ min: 1, max: 20 }),
      waits: fc.integer({ min: 0, max: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(rules, fc.array(fc.nat(), { minLength: 1, maxLength: 25 }), async (r, picks) => {
        const rule = {
          intervalMs: r.intervalMs,
          burst: r.burst,
          maxWaitMs: r.waits === 0 ? 0 : (r.waits - 0.5) * r.intervalMs,
        };
        const redis = redisStore({ client: io, prefix: testPrefix('gcra-prop'), commandTimeoutMs: 5000 });
        const memory = memoryRateLimitStore();
        for (const pick of picks) {
          const cost = 1 + (pick % r.burst);
          const a = await redis.take('k', rule, 0, cost);
          const b = await memory.take('k', rule, 0, cost);
          expect([a.granted, a.remaining]).toEqual([b.granted, b.remaining]);
          // Redis's clock moved on a few ms since the first call; its wait is rounded up.
          expect(a.waitMs).toBeLessThanOrEqual(Math.ceil(b.waitMs));
          expect(a.waitMs).toBeGreaterThanOrEqual(b.waitMs - 200);
        }
        expect(redis.stats().fallbacks).toBe(0); // every decision above was Redis's
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});
