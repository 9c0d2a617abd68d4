import { compose, policies } from 'bulwark';
import { constant, retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const hang = ({ signal }: { signal: AbortSignal }) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

describe('configure', () => {
  it('timeout: validates first, applies to calls that start afterwards, keeps deadlines in flight', async () => {
    const clock = new FakeClock();
    const limit = timeout({ ms: 100, clock });
    const before = limit.execute(hang).catch(() => clock.now());
    expect(() => limit.configure({ ms: -1 })).toThrow(
      /timeout.configure: option "ms" must be a number of milliseconds greater than 0 .*got -1/,
    );
    expect(() => limit.configure({ name: 'x' } as never)).toThrow(/unknown option "name"; valid options are "ms"/);
    expect(limit.ms).toBe(100);
    limit.configure({ ms: 300 });
    expect(limit.ms).toBe(300);
    const after = limit.execute(hang).catch(() => clock.now());
    await clock.advance(1000);
    expect(await before).toBe(100);
    expect(await after).toBe(300);
    expect(clock.pendingTimers).toBe(0);
  });

  it('retry: a call in flight keeps its attempts; new calls get the new ones', async () => {
    const clock = new FakeClock();
    const policy = retry({ attempts: 2, backoff: constant(10), clock });
    let runs = 0;
    const failing = () => {
      runs++;
      return Promise.reject(new Error('flaky'));
    };
    const first = policy.execute(failing).catch(() => runs);
    policy.configure({ attempts: 4 });
    expect(() => policy.configure({ attempts: 0 })).toThrow(/"attempts" must be a whole number from 1 to 10000/);
    expect(policy.attempts).toBe(4);
    await clock.advance(100);
    expect(await first).toBe(2);
    runs = 0;
    const second = policy.execute(failing).catch(() => runs);
    await clock.advance(100);
    expect(await second).toBe(4);
  });

  it('compose: a call never runs under a mix of old and new settings, for any interleaving', async () => {
    // Each version v sets attempts = v + 1 and the attempt timeout to 10 * (v + 1) ms: a call that
    // hangs on every attempt shows, by its attempts and their lengths, which settings it ran under.
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(fc.constant('call' as const), fc.constant('configure' as const), fc.integer({ min: 1, max: 40 })),
          {
            maxLength: 30,
          },
        ),
        async (steps) => {
          const clock = new FakeClock();
          const pipeline = compose(
            retry({ name: 'retry', attempts: 1, backoff: constant(1), clock }),
            timeout({ name: 'attempt', ms: 10, clock }),
          );
          let version = 0;
          const calls: Array<Promise<{ started: number; lengths: number[] }>> = [];
          for (const step of steps) {
            if (step === 'call') {
              const started = version;
              const lengths: number[] = [];
              calls.push(
                pipeline
                  .execute(({ signal }) => {
                    const at = clock.now();
                    return hang({ signal }).catch((err) => {
                      lengths.push(clock.now() - at);
                      throw err;
                    });
                  })
                  .catch(() => ({ started, lengths })),
              );
            } else if (step === 'configure') {
              version++;
              pipeline.configure({ retry: { attempts: version + 1 }, attempt: { ms: 10 * (version + 1) } });
            } else {
              await clock.advance(step);
            }
          }
          await clock.runAll();
          for (const call of await Promise.all(calls)) {
            expect(call.lengths).toHaveLength(call.started + 1);
            for (const length of call.lengths) expect(length).toBe(10 * (call.started + 1));
          }
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a registry of bulwark policies is all or nothing: one bad value changes none', () => {
    const registry = policies({
      create: (key, settings: { ms: number } | undefined) => timeout({ name: key, ms: settings?.ms ?? 100 }),
    });
    const a = registry.get('a');
    const b = registry.get('b');
    expect(() => registry.configure({ a: { ms: 200 }, b: { ms: 0 } })).toThrow(/key "b".*"ms"/);
    expect([a.ms, b.ms]).toEqual([100, 100]);
    expect(registry.get('c').ms).toBe(100);
    registry.configure({ a: { ms: 200 }, b: { ms: 300 }, c: { ms: 400 }, d: { ms: 500 } });
    expect([a.ms, b.ms, registry.get('c').ms, registry.get('d').ms]).toEqual([200, 300, 400, 500]);
  });
});

describe('configure a bulkhead', () => {
  it('keeps running and waiting calls; a higher limit lets waiting calls in at once', async () => {
    const { bulkhead } = await import('bulwark/bulkhead');
    const pool = bulkhead({ name: 'pool', limit: 1, queue: 5 });
    const release: Array<() => void> = [];
    const hold = () => new Promise<void>((resolve) => release.push(resolve));
    const calls = [pool.execute(hold), pool.execute(hold), pool.execute(hold)];
    expect(pool.stats()).toMatchObject({ active: 1, queued: 2, limit: 1 });
    expect(() => pool.configure({ limit: 0 })).toThrow(/option "limit" must be a whole number from 1/);
    expect(() => pool.configure({ name: 'x' } as never)).toThrow(/unknown option "name"/);
    expect(pool.stats()).toMatchObject({ active: 1, queued: 2, limit: 1 });
    pool.configure({ limit: 3 });
    expect(pool.stats()).toMatchObject({ active: 3, queued: 0, limit: 3 });
    pool.configure({ limit: 1, queue: 0 });
    expect(pool.stats()).toMatchObject({ active: 3, limit: 1, queueSize: 0 });
    for (const r of release) r();
    await Promise.all(calls);
    expect(pool.stats()).toMatchObject({ active: 0, queued: 0 });
  });
});

describe('configure a circuit breaker', () => {
  it('keeps its state: an open breaker stays open, with its time left, and new thresholds judge what comes', async () => {
    const { circuitBreaker, consecutiveFailures } = await import('bulwark/breaker');
    const clock = new FakeClock();
    const breaker = circuitBreaker({ name: 'db', trip: consecutiveFailures(2), openMs: 1000, clock });
    const fail = () => Promise.reject(new Error('down'));
    await breaker.execute(fail).catch(() => {});
    await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('open');
    expect(() => breaker.configure({ openMs: -5 })).toThrow(/circuitBreaker.configure: .*"openMs"/);
    expect(() => breaker.configure({ name: 'x' } as never)).toThrow(/unknown option "name"/);
    breaker.configure({ openMs: 5000, trip: consecutiveFailures(3) });
    expect(breaker.state).toBe('open');
    await clock.advance(1000); // the opening in force keeps its time
    expect(breaker.state).toBe('half-open');
  });

  it('a window of a new size keeps the most recent outcomes that fit', async () => {
    const { circuitBreaker, failureRate } = await import('bulwark/breaker');
    const breaker = circuitBreaker({ trip: failureRate({ threshold: 0.9, minimumCalls: 4, window: { calls: 10 } }) });
    const ok = () => 1;
    const fail = () => Promise.reject(new Error('down'));
    for (const outcome of [fail, fail, fail, ok, ok, fail]) await breaker.execute(outcome).catch(() => {});
    expect(breaker.stats()).toMatchObject({ calls: 6, failures: 4 });
    breaker.configure({ trip: failureRate({ threshold: 0.9, minimumCalls: 2, window: { calls: 3 } }) });
    expect(breaker.stats()).toMatchObject({ calls: 3, failures: 1 });
    breaker.configure({ trip: failureRate({ threshold: 0.5, minimumCalls: 2, window: { calls: 3 } }) });
    expect(breaker.stats()).toMatchObject({ calls: 3, failures: 1 }); // same shape: the very same window
    expect(breaker.state).toBe('closed');
  });

  it('configure never resets the state, for any interleaving of outcomes, configure calls and clock moves', async () => {
    const { circuitBreaker, consecutiveFailures, failureRate } = await import('bulwark/breaker');
    const rules = [
      consecutiveFailures(2),
      consecutiveFailures(4),
      failureRate({ threshold: 0.5, minimumCalls: 2, window: { calls: 4 } }),
      failureRate({ threshold: 0.5, minimumCalls: 2, window: { calls: 8 } }),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant('ok' as const),
            fc.constant('fail' as const),
            fc.integer({ min: 0, max: 3 }).map((rule) => ({ rule })),
            fc.integer({ min: 1, max: 600 }).map((ms) => ({ ms })),
          ),
          { maxLength: 40 },
        ),
        async (steps) => {
          const clock = new FakeClock();
          const breaker = circuitBreaker({ trip: rules[0], openMs: 500, clock });
          for (const step of steps) {
            if (step === 'ok') await breaker.execute(() => 1).catch(() => {});
            else if (step === 'fail') await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
            else if ('ms' in step) await clock.advance(step.ms);
            else {
              const before = breaker.state;
              const opens = breaker.toJSON().consecutiveOpens;
              breaker.configure({ trip: rules[step.rule], openMs: 200 + step.rule * 100 });
              expect(breaker.state).toBe(before);
              expect(breaker.toJSON().consecutiveOpens).toBe(opens);
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('configure a rate limiter', () => {
  it('keeps the permits taken; the new rule applies from the next call', async () => {
    const { rateLimit } = await import('bulwark/rate-limit');
    const clock = new FakeClock();
    const limiter = rateLimit({ name: 'api', limit: 2, windowMs: 1000, clock });
    await limiter.execute(() => 1);
    await limiter.execute(() => 2);
    await expect(limiter.execute(() => 3)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED', retryAfterMs: 500 });
    expect(() => limiter.configure({ limit: 0 })).toThrow(/rateLimit.configure: .*"limit"/);
    expect(() => limiter.configure({ key: 'x' } as never)).toThrow(/unknown option "key"/);
    limiter.configure({ limit: 4 }); // burst follows the limit when it was never given
    expect(limiter.stats()).toMatchObject({ limit: 4, burst: 4, granted: 2 });
    // The store's state is kept, not reset: the next permit was due at 1000 ms; under the new
    // rule (one every 250 ms, four at once) that debt runs out 250 ms from now.
    await expect(limiter.execute(() => 4)).rejects.toMatchObject({ retryAfterMs: 250 });
    await clock.advance(250);
    await limiter.execute(() => 5);
    await expect(limiter.execute(() => 6)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
  });
});

describe('configure a retry budget', () => {
  it('keeps the counts in its window; new rates decide from now on', async () => {
    const { retryBudget } = await import('bulwark/retry');
    const clock = new FakeClock();
    const budget = retryBudget({ ratio: 0, minPerSecond: 0.2, windowMs: 10_000, clock }); // 2 retries per window
    for (let i = 0; i < 10; i++) budget.recordAttempt();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    expect(() => budget.configure?.({ ratio: 2 })).toThrow(/"ratio" must be a number from 0 to 1; got 2/);
    expect(() => budget.configure?.({ windowMs: 5 } as never)).toThrow(/unknown option "windowMs"/);
    budget.configure?.({ ratio: 0.3 }); // 10 attempts x 0.3 + 2 = 5, of which 2 are taken
    expect(budget.stats()).toMatchObject({ firstAttempts: 10, retries: 2, available: 3 });
  });
});

describe('configure a hedge and a fallback', () => {
  it('hedge: a call in flight keeps its delay; new calls hedge after the new one', async () => {
    const { hedge } = await import('bulwark/hedge');
    const clock = new FakeClock();
    const search = hedge({ delayMs: 100, clock });
    const starts: number[] = [];
    const slow = () => {
      starts.push(clock.now());
      return new Promise<string>(() => {});
    };
    void search.execute(slow);
    search.configure({ delayMs: 30 });
    expect(() => search.configure({ maxAttempts: 0 })).toThrow(/"maxAttempts" must be a whole number from 1 to 10/);
    expect(search.delayMs).toBe(30);
    void search.execute(slow);
    await clock.advance(100);
    expect(starts).toEqual([0, 0, 30, 100]);
  });

  it('fallback: a new answer replaces the old, whichever form', async () => {
    const { fallback } = await import('bulwark/fallback');
    const safe = fallback<string>({ value: 'stale' });
    const failing = () => Promise.reject(new Error('down'));
    expect(await safe.execute(failing)).toBe('stale');
    safe.configure({ to: (error) => `fallback for ${(error as Error).message}` });
    expect(await safe.execute(failing)).toBe('fallback for down');
    expect(() => safe.configure({ to: 'x' } as never)).toThrow(/option "to" must be a function/);
    expect(await safe.execute(failing)).toBe('fallback for down');
  });
});
