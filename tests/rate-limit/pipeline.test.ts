import { compose } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { fallback } from 'bulwark/fallback';
import { hedge } from 'bulwark/hedge';
import { rateLimit } from 'bulwark/rate-limit';
import { constant, retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

describe('the limits in a pipeline (docs/pipeline.md)', () => {
  it("a retry around the limiter waits out the refusal's retryAfterMs, and the breaker never sees it", async () => {
    const clock = new FakeClock();
    const limiter = rateLimit({ name: 'geo', limit: 1, windowMs: 1000, clock });
    const breaker = circuitBreaker({ name: 'geo', clock });
    const pipeline = compose(retry({ attempts: 3, backoff: constant(10), clock }), limiter, breaker);
    const ran: number[] = [];
    await pipeline.execute(() => ran.push(clock.now()));
    const second = pipeline.execute(() => ran.push(clock.now()));
    await clock.advance(999);
    expect(ran).toEqual([0]);
    await clock.advance(1);
    await second;
    expect(ran).toEqual([0, 1000]);
    expect(limiter.stats()).toMatchObject({ granted: 2, rejected: 1 });
    expect(breaker.stats()).toMatchObject({ calls: 2, failures: 0 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('a fallback outermost answers what the whole pipeline gives up with, a refusal included', async () => {
    const clock = new FakeClock();
    const pipeline = compose(timeout({ ms: 5000, clock }), rateLimit({ limit: 1, windowMs: 60_000, clock }));
    const orStale = fallback({ to: (error) => `stale (${(error as Error).name})` });
    const call = () => orStale.execute(({ signal }) => pipeline.execute(() => 'fresh', { signal }));
    await expect(call()).resolves.toBe('fresh');
    await expect(call()).resolves.toBe('stale (RateLimitedError)');
  });

  it('a hedge around per-attempt timeouts: the slow first attempt is timed out on its own, the hedge wins', async () => {
    const clock = new FakeClock();
    const pipeline = compose(hedge({ delayMs: 100, clock }), timeout({ ms: 300, clock }));
    const signals: AbortSignal[] = [];
    const call = pipeline.execute(({ signal }) => {
      signals.push(signal);
      const i = signals.length;
      return new Promise<string>((resolve) => {
        if (i === 2) clock.setTimeout(() => resolve('second'), 50);
      });
    });
    await clock.advance(150);
    await expect(call).resolves.toBe('second');
    expect(signals.map((s) => s.aborted)).toEqual([true, false]);
    await clock.runAll();
    expect(clock.pendingTimers).toBe(0);
  });

  it('a hedged attempt that answers synchronously settles the call and leaves no timer', async () => {
    const clock = new FakeClock();
    const policy = hedge({ delayMs: 10, maxAttempts: 3, clock });
    let attempts = 0;
    const call = policy.execute(() => {
      attempts++;
      return attempts === 2 ? 'sync second' : new Promise<string>(() => {});
    });
    await clock.advance(10);
    await expect(call).resolves.toBe('sync second');
    expect(attempts).toBe(2);
    expect(clock.pendingTimers).toBe(0);
  });
});
