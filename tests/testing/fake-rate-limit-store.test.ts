import { RateLimitedError } from 'bulwark';
import { rateLimit } from 'bulwark/rate-limit';
import { FakeClock, FakeRateLimitStore } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

describe('FakeRateLimitStore', () => {
  it('decides like the memory store and records every take with its key, rule and time', async () => {
    const clock = new FakeClock(500);
    const store = new FakeRateLimitStore();
    const limiter = rateLimit({ name: 'api', limit: 2, windowMs: 1000, clock, store });
    await limiter.execute(() => 1);
    await limiter.forKey('t1').execute(() => 2);
    await limiter.execute(() => 3);
    await expect(limiter.execute(() => 4)).rejects.toMatchObject({ retryAfterMs: 500 });
    expect(store.takes.map(({ key, now, cost }) => [key, now, cost])).toEqual([
      ['api', 500, 1],
      ['api:t1', 500, 1],
      ['api', 500, 1],
      ['api', 500, 1],
    ]);
    expect(store.takes[0]?.rule).toBe(limiter.rule);
  });

  it('async: answers with a promise, as Redis does', async () => {
    const store = new FakeRateLimitStore({ async: true });
    const answer = store.take('k', { intervalMs: 10, burst: 1, maxWaitMs: 0 }, 0);
    expect(answer).toBeInstanceOf(Promise);
    await expect(answer).resolves.toEqual({ granted: true, waitMs: 0, remaining: 0 });
  });

  it('failWith makes every take fail until healed', async () => {
    const store = new FakeRateLimitStore({ async: true });
    const limiter = rateLimit({ limit: 5, windowMs: 1000, clock: new FakeClock(), store });
    store.failWith(new Error('redis down'));
    await expect(limiter.execute(() => 'x')).rejects.toThrow('redis down');
    store.failWith(undefined);
    await expect(limiter.execute(() => 'x')).resolves.toBe('x');
    const sync = new FakeRateLimitStore();
    sync.failWith(new Error('sync failure'));
    expect(() => sync.take('k', limiter.rule, 0)).toThrow('sync failure');
  });

  it('hold keeps takes unanswered until release, so a test can abort a call mid-take', async () => {
    const store = new FakeRateLimitStore();
    const limiter = rateLimit({ limit: 5, windowMs: 1000, clock: new FakeClock(), store });
    store.hold();
    const controller = new AbortController();
    let ran = 0;
    const aborted = limiter.execute(() => ran++, { signal: controller.signal });
    const waiting = limiter.execute(() => ran++);
    controller.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    expect(store.release()).toBe(2);
    await expect(waiting).resolves.toBe(0);
    expect(ran).toBe(1);
  });

  it('answer scripts the next decisions', async () => {
    const store = new FakeRateLimitStore();
    const limiter = rateLimit({ name: 'scripted', limit: 100, windowMs: 1000, clock: new FakeClock(), store });
    store.answer({ granted: false, waitMs: 1234, remaining: 0 });
    const err = await limiter.execute(() => 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ policy: 'scripted', retryAfterMs: 1234 });
    await expect(limiter.execute(() => 'x')).resolves.toBe('x');
    store.reset();
    expect(store.takes).toEqual([]);
  });
});
