import { PermanentError } from 'bulwark';
import { constant, exponential, retry, retryBudget } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const transient = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('retry properties', () => {
  it('never exceeds `attempts`, never waits past maxElapsedMs, never retries a permanent error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: undefined }),
        fc.array(fc.constantFrom('transient', 'permanent', 'ok'), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        async (attempts, maxElapsedMs, script, initialMs, r) => {
          const clock = new FakeClock();
          const policy = retry({
            clock,
            attempts,
            maxElapsedMs,
            backoff: exponential({ initialMs, maxMs: Math.max(initialMs, 5000) }),
            random: () => r,
          });
          let calls = 0;
          let sawPermanent = false;
          const call = policy
            .execute(async () => {
              expect(sawPermanent).toBe(false);
              const step = script[calls++] ?? 'transient';
              if (step === 'permanent') {
                sawPermanent = true;
                throw new PermanentError('no');
              }
              if (step === 'transient') throw transient();
              return 'ok';
            })
            .catch((e: unknown) => e);
          await clock.runAll();
          await call;
          expect(calls).toBeLessThanOrEqual(attempts);
          if (maxElapsedMs !== undefined) expect(clock.now()).toBeLessThanOrEqual(maxElapsedMs);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a budget never goes negative and never allows more than ratio x first attempts + minPerSecond x window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.tuple(fc.constantFrom('first', 'retry'), fc.integer({ min: 0, max: 3000 })), { maxLength: 300 }),
        async (ratio, minPerSecond, ops) => {
          const clock = new FakeClock();
          const windowMs = 10_000;
          const budget = retryBudget({ ratio, minPerSecond, windowMs, clock });
          const firsts: number[] = [];
          const retries: number[] = [];
          for (const [op, gap] of ops) {
            await clock.advance(gap);
            if (op === 'first') {
              budget.recordAttempt();
              firsts.push(clock.now());
            } else if (budget.tryRetry()) {
              retries.push(clock.now());
              // When a retry is granted, the retries in the window (this one included) fit the
              // budget of that moment: the window the budget counts may start up to one bucket
              // earlier. (Checked at the grant: later, old first attempts leave the window while
              // the retry they paid for is still in it, which is no overdraft.)
              const since = clock.now() - windowMs;
              const recentFirsts = firsts.filter((t) => t > since - windowMs / 10).length;
              const recentRetries = retries.filter((t) => t > since).length;
              expect(recentRetries).toBeLessThanOrEqual(ratio * recentFirsts + (minPerSecond * windowMs) / 1000 + 1e-9);
            }
            expect(budget.stats().available).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a shared budget caps the retries of many failing calls', async () => {
    const clock = new FakeClock();
    const budget = retryBudget({ ratio: 0.1, minPerSecond: 0, clock });
    const policy = retry({ clock, attempts: 5, backoff: constant(1), budget });
    let calls = 0;
    const outcomes = Array.from({ length: 100 }, () =>
      policy
        .execute(async () => {
          calls++;
          throw transient();
        })
        .catch(() => 'failed'),
    );
    await clock.runAll();
    expect(await Promise.all(outcomes)).toEqual(Array(100).fill('failed'));
    // 100 first attempts allow 10 retries, instead of the 400 that five attempts each would make.
    expect(calls).toBe(110);
  });
});
