import { RateLimitedError, RejectedError, retryAfterMs } from 'bulwark';
import { memoryRateLimitStore, type RateDecision, type RateLimitStore, rateLimit } from 'bulwark/rate-limit';
import { FakeClock } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const ok = () => 'ok';

async function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    (v) => String(v),
    (e: unknown) => (e instanceof RateLimitedError ? `refused ${e.retryAfterMs}` : `error ${String(e)}`),
  );
}

describe('rateLimit', () => {
  it('grants burst at once, then one permit every windowMs / limit, refusing in between with the exact wait', async () => {
    const clock = new FakeClock();
    const limiter = rateLimit({ limit: 10, windowMs: 1000, burst: 3, clock });
    expect(await Promise.all([1, 2, 3].map(() => outcome(limiter.execute(ok))))).toEqual(['ok', 'ok', 'ok']);
    expect(await outcome(limiter.execute(ok))).toBe('refused 100');
    await clock.advance(40);
    expect(await outcome(limiter.execute(ok))).toBe('refused 60');
    await clock.advance(60);
    expect(await outcome(limiter.execute(ok))).toBe('ok');
    expect(await outcome(limiter.execute(ok))).toBe('refused 100');
    expect(limiter.stats()).toEqual({ granted: 4, rejected: 3, waiting: 0, limit: 10, windowMs: 1000, burst: 3 });
  });

  it('burst defaults to limit, and a quiet spell refills it only up to burst', async () => {
    const clock = new FakeClock();
    const limiter = rateLimit({ limit: 5, windowMs: 1000, clock });
    for (let i = 0; i < 5; i++) await limiter.execute(ok);
    await expect(limiter.execute(ok)).rejects.toBeInstanceOf(RateLimitedError);
    await clock.advance(60_000);
    for (let i = 0; i < 5; i++) await limiter.execute(ok);
    await expect(limiter.execute(ok)).rejects.toThrow('rate limit "rate-limit" reached; retry in 200 ms');
  });

  it('the refusal is a RejectedError naming the policy, read by retryAfterMs(), and the work never runs', async () => {
    const limiter = rateLimit({ name: 'github', limit: 1, windowMs: 60_000, clock: new FakeClock() });
    await limiter.execute(ok);
    let ran = false;
    const err = await limiter
      .execute(() => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(err).toBeInstanceOf(RejectedError);
    expect(err).toMatchObject({ code: 'ERR_RATE_LIMITED', policy: 'github', retryAfterMs: 60_000 });
    expect(retryAfterMs(err)).toBe(60_000);
  });

  it('with maxWaitMs a call waits on the clock for its permit, in order, and one past maxWaitMs is refused', async () => {
    const clock = new FakeClock();
    const limiter = rateLimit({ limit: 10, windowMs: 1000, burst: 1, maxWaitMs: 250, clock });
    const started: number[] = [];
    const run = () => limiter.execute(() => started.push(clock.now()));
    const calls = [run(), run(), run()];
    expect(await outcome(run())).toBe('refused 300');
    expect(limiter.stats().waiting).toBe(2);
    await clock.advance(199);
    expect(started).toEqual([0, 100]);
    await clock.advance(1);
    await Promise.all(calls);
    expect(started).toEqual([0, 100, 200]);
    expect(limiter.stats()).toMatchObject({ granted: 3, rejected: 1, waiting: 0 });
    expect(clock.pendingTimers).toBe(0);
  });

  it("a waiting call whose caller aborts rejects at once with the caller's reason and clears its timer", async () => {
    const clock = new FakeClock();
    const limiter = rateLimit({ limit: 1, windowMs: 1000, maxWaitMs: 5000, clock });
    await limiter.execute(ok);
    const controller = new AbortController();
    let ran = false;
    const waiting = limiter.execute(
      () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    expect(clock.pendingTimers).toBe(1);
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(2000);
    expect(ran).toBe(false);
    expect(limiter.stats().waiting).toBe(0);
  });

  it('an already aborted caller takes no permit', async () => {
    const limiter = rateLimit({ limit: 1, windowMs: 1000, clock: new FakeClock() });
    await expect(limiter.execute(ok, { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrow('gone');
    await expect(limiter.execute(ok)).resolves.toBe('ok');
  });

  it('hands the work a signal and the attempt, and passes its errors through', async () => {
    const limiter = rateLimit({ limit: 5, windowMs: 1000, clock: new FakeClock() });
    await expect(
      limiter.execute(({ signal, attempt }) => `${signal.aborted} ${attempt}`, { attempt: 3 }),
    ).resolves.toBe('false 3');
    await expect(
      limiter.execute(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  it('events: granted with the wait and what remains, rejected with the exact retryAfterMs', async () => {
    const clock = new FakeClock();
    const limiter = rateLimit({ name: 'api', limit: 2, windowMs: 1000, maxWaitMs: 500, clock });
    const seen: unknown[] = [];
    limiter.on('granted', (e) => seen.push(['granted', e]));
    const off = limiter.on('rejected', (e) => seen.push(['rejected', e]));
    limiter.on('granted', () => {
      throw new Error('a broken listener changes nothing');
    });
    await limiter.execute(ok);
    await limiter.execute(ok);
    const waited = limiter.execute(ok);
    await expect(limiter.execute(ok)).rejects.toBeInstanceOf(RateLimitedError);
    off();
    await expect(limiter.execute(ok)).rejects.toBeInstanceOf(RateLimitedError);
    await clock.advance(500);
    await waited;
    expect(seen).toEqual([
      ['granted', { name: 'api', key: 'api', waitMs: 0, remaining: 1 }],
      ['granted', { name: 'api', key: 'api', waitMs: 0, remaining: 0 }],
      ['granted', { name: 'api', key: 'api', waitMs: 500, remaining: 0 }],
      ['rejected', { name: 'api', key: 'api', retryAfterMs: 1000 }],
    ]);
  });

  it('forKey counts each tenant apart, under "<key>:<tenant>", sharing stats and events', async () => {
    const clock = new FakeClock();
    const limiter = rateLimit({ name: 'per-tenant', limit: 1, windowMs: 1000, clock });
    const keys: string[] = [];
    limiter.on('granted', (e) => keys.push(e.key));
    await limiter.forKey('acme').execute(ok);
    await limiter.forKey('globex').execute(ok);
    await expect(limiter.forKey('acme').execute(ok)).rejects.toBeInstanceOf(RateLimitedError);
    await limiter.execute(ok);
    expect(keys).toEqual(['per-tenant:acme', 'per-tenant:globex', 'per-tenant']);
    expect(limiter.forKey('acme')).toMatchObject({ kind: 'rate-limit', name: 'per-tenant', key: 'per-tenant:acme' });
    expect(limiter.stats()).toMatchObject({ granted: 3, rejected: 1 });
    expect(() => limiter.forKey('')).toThrow('rateLimit.forKey: key must be a string of 1 to 512 characters; got ""');
  });

  it('two limiters with one key in one shared store share one limit', async () => {
    const clock = new FakeClock();
    const store = memoryRateLimitStore();
    const a = rateLimit({ name: 'replica-a', key: 'provider', limit: 2, windowMs: 1000, clock, store });
    const b = rateLimit({ name: 'replica-b', key: 'provider', limit: 2, windowMs: 1000, clock, store });
    await a.execute(ok);
    await b.execute(ok);
    await expect(a.execute(ok)).rejects.toMatchObject({ policy: 'replica-a', retryAfterMs: 500 });
    expect(store.size).toBe(1);
  });

  describe('an asynchronous store', () => {
    function slowStore(): RateLimitStore & { answer(decision: RateDecision | Error): void } {
      const pending: Array<(d: RateDecision | Error) => void> = [];
      return {
        take: () =>
          new Promise<RateDecision>((resolve, reject) => {
            pending.push((d) => (d instanceof Error ? reject(d) : resolve(d)));
          }),
        answer: (d) => pending.shift()?.(d),
      };
    }

    it('runs the work once the store grants, refuses when it refuses, and passes its failure on', async () => {
      const store = slowStore();
      const limiter = rateLimit({ limit: 1, windowMs: 1000, clock: new FakeClock(), store });
      const granted = limiter.execute(ok);
      store.answer({ granted: true, waitMs: 0, remaining: 0 });
      await expect(granted).resolves.toBe('ok');
      const refused = limiter.execute(ok);
      store.answer({ granted: false, waitMs: 750, remaining: 0 });
      await expect(refused).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED', retryAfterMs: 750 });
      const failed = limiter.execute(ok);
      store.answer(new Error('store down'));
      await expect(failed).rejects.toThrow('store down');
    });

    it("the caller's abort settles the call at once, and a late grant runs nothing", async () => {
      const store = slowStore();
      const limiter = rateLimit({ limit: 1, windowMs: 1000, clock: new FakeClock(), store });
      const controller = new AbortController();
      let ran = false;
      const call = limiter.execute(
        () => {
          ran = true;
        },
        { signal: controller.signal },
      );
      controller.abort(new Error('cancelled'));
      await expect(call).rejects.toThrow('cancelled');
      store.answer({ granted: true, waitMs: 0, remaining: 0 });
      await new Promise((r) => setImmediate(r));
      expect(ran).toBe(false);
    });

    it('a store that throws synchronously rejects the call', async () => {
      const store: RateLimitStore = {
        take() {
          throw new Error('bad store');
        },
      };
      await expect(rateLimit({ limit: 1, windowMs: 1000, store }).execute(ok)).rejects.toThrow('bad store');
    });
  });

  describe('options are checked at construction', () => {
    it.each([
      [{ windowMs: 1000 }, 'rateLimit: option "limit" must be a whole number from 1 to 1000000000; got undefined'],
      [{ limit: 1.5, windowMs: 1000 }, 'option "limit" must be a whole number from 1 to 1000000000; got 1.5 (number)'],
      [
        { limit: 10 },
        'option "windowMs" must be a number of milliseconds greater than 0 up to 2147483647; got undefined',
      ],
      [
        { limit: 10, windowMs: 1000, burst: 0 },
        'option "burst" must be a whole number from 1 to 1000000000; got 0 (number)',
      ],
      [{ limit: 10, windowMs: 1000, maxWaitMs: -1 }, 'option "maxWaitMs" must be a number of milliseconds from 0'],
      [{ limit: 10, windowMs: 1000, store: {} }, 'option "store" must be a RateLimitStore'],
      [{ limit: 10, windowMs: 1000, key: '' }, 'option "key" must be a string of 1 to 512 characters; got ""'],
      [{ limit: 10, windowMs: 1000, clock: {} }, 'option "clock" must be a Clock'],
      [{ limit: 10, windowMs: 1000, window: 5 }, 'rateLimit: unknown option "window"; valid options are "limit"'],
    ])('%j', (options, message) => {
      expect(() => rateLimit(options as never)).toThrow(message);
    });

    it('refuses a missing or non-object options', () => {
      expect(() => rateLimit(undefined as never)).toThrow('rateLimit: options { limit, windowMs } are required');
      expect(() => rateLimit(5 as never)).toThrow('rateLimit: options must be an object; got 5 (number)');
    });

    it('options named like prototype keys are refused, not read', () => {
      expect(() => rateLimit(JSON.parse('{"limit":1,"windowMs":1,"__proto__":{"burst":0}}'))).toThrow(
        'unknown option "__proto__"',
      );
    });
  });
});

describe('memoryRateLimitStore', () => {
  const rule = { intervalMs: 100, burst: 2, maxWaitMs: 0 };

  it('forgets keys whose bucket is full again, so memory follows the keys in use', () => {
    const store = memoryRateLimitStore();
    for (let i = 0; i < 5000; i++) store.take(`k${i}`, rule, 0);
    expect(store.size).toBe(5000);
    store.take('late', rule, 1000);
    for (let i = 0; i < 5000; i++) store.take(`m${i}`, rule, 1000);
    expect(store.size).toBeLessThan(6000);
    store.clear();
    expect(store.size).toBe(0);
  });

  it('maxKeys bounds the keys kept, forgetting those due soonest', () => {
    const store = memoryRateLimitStore({ maxKeys: 100 });
    for (let i = 0; i < 1000; i++) store.take(`k${i}`, rule, i);
    expect(store.size).toBeLessThanOrEqual(100);
  });

  it('takes several permits at once, and refuses a cost no bucket could hold', () => {
    const store = memoryRateLimitStore();
    expect(store.take('k', rule, 0, 2)).toEqual({ granted: true, waitMs: 0, remaining: 0 });
    expect(store.take('k', rule, 0, 1)).toEqual({ granted: false, waitMs: 100, remaining: 0 });
    expect(() => store.take('k', rule, 0, 3)).toThrow('cost must be a whole number from 1 to the burst (2); got 3');
  });

  it('checks its options', () => {
    expect(() => memoryRateLimitStore({ maxKeys: 0 })).toThrow('option "maxKeys" must be a whole number >= 1');
    expect(() => memoryRateLimitStore({ size: 1 } as never)).toThrow('unknown option "size"');
  });
});

describe('refusals are cheap', () => {
  it('a RateLimitedError is made without capturing a stack, and Error.stackTraceLimit is left as it was', async () => {
    const before = Error.stackTraceLimit;
    const limiter = rateLimit({ name: 'cheap', limit: 1, windowMs: 1000, clock: new FakeClock() });
    await limiter.execute(() => 1);
    const err = (await limiter.execute(() => 2).catch((e: unknown) => e)) as Error;
    expect(err.stack).toBe('RateLimitedError: rate limit "cheap" reached; retry in 1000 ms');
    expect(Error.stackTraceLimit).toBe(before);
  });
});

describe('trying to break it', () => {
  it('a store that answers nonsense fails the call plainly, never runs the work, never throws synchronously', async () => {
    for (const answer of [
      null,
      undefined,
      42,
      { granted: 'yes', waitMs: 0, remaining: 0 },
      { granted: true, waitMs: Number.NaN, remaining: 0 },
      { granted: false, waitMs: -5, remaining: 0 },
      { granted: true, waitMs: Number.POSITIVE_INFINITY, remaining: 0 },
    ]) {
      const store = { take: () => answer as never };
      const limiter = rateLimit({ name: 'odd', limit: 1, windowMs: 1000, clock: new FakeClock(), store });
      let ran = false;
      const call = limiter.execute(() => {
        ran = true;
      });
      await expect(call).rejects.toThrow(/rateLimit "odd": the store answered .*; a take must answer/);
      expect(ran).toBe(false);
    }
  });

  it('tenant names like __proto__ or constructor are plain keys', async () => {
    const limiter = rateLimit({ limit: 1, windowMs: 1000, clock: new FakeClock() });
    for (const tenant of ['__proto__', 'constructor', 'hasOwnProperty', 'toString']) {
      await expect(limiter.forKey(tenant).execute(() => tenant)).resolves.toBe(tenant);
      await expect(limiter.forKey(tenant).execute(() => tenant)).rejects.toBeInstanceOf(RateLimitedError);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('over a million permits a second, a permit is never granted a whole interval early', () => {
    const store = memoryRateLimitStore();
    const rule = { intervalMs: 1e-4, burst: 1, maxWaitMs: 0 };
    let granted = 0;
    for (let i = 0; i < 1000; i++) if (store.take('k', rule, 0).granted) granted++;
    expect(granted).toBe(1);
  });

  it('2,000 calls at once with maxWaitMs: each runs exactly when its permit falls due, in order', async () => {
    const clock = new FakeClock();
    const limiter = rateLimit({ limit: 100, windowMs: 1000, burst: 1, maxWaitMs: 200_000, clock });
    const ranAt: number[] = [];
    const calls = Array.from({ length: 2000 }, (_, i) => limiter.execute(() => ranAt.push(clock.now()) && i));
    await clock.advance(20_000);
    const order = await Promise.all(calls);
    expect(order).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(ranAt.every((t, i) => Math.abs(t - i * 10) < 1e-6)).toBe(true);
  });
});
