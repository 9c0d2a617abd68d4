import { RateLimitedError } from 'bulwark';
import { rateLimit } from 'bulwark/rate-limit';
import { FakeClock, FakeRateLimitStore } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

/** Most permits that ran in any span [t, t + windowMs) starting at one of them. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && (sorted[j] as number) < (sorted[i] as number) + windowMs) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

const rules = fc.record({
  limit: fc.integer({ min: 1, max: 20 }),
  windowMs: fc.integer({ min: 1, max: 10_000 }),
  burst: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
  maxWaitMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5000 })),
});

/** A schedule: calls, with clock moves (whole or fractional ms) between them. */
const schedules = fc.array(
  fc.oneof(
    fc.record({ call: fc.integer({ min: 1, max: 5 }), retryExactly: fc.boolean() }),
    fc.record({ advance: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.double({ min: 0, max: 500, noNaN: true })) }),
  ),
  { maxLength: 60 },
);

describe('rateLimit properties', () => {
  it('over any schedule of calls and clock moves: never more than limit + burst permits run in any window, and a call made retryAfterMs after a refusal gets a permit', async () => {
    await fc.assert(
      // Epoch-like start times too: there a float's step is 2^-12 ms, and exact waits must survive it.
      fc.asyncProperty(
        rules,
        schedules,
        fc.oneof(fc.constant(0), fc.double({ min: 1.6e12, max: 1.8e12, noNaN: true })),
        // The memory store answers at once; an asynchronous store (as Redis will) answers later.
        fc.boolean(),
        async (options, schedule, start, asyncStore) => {
          const clock = new FakeClock(start);
          const store = asyncStore ? new FakeRateLimitStore({ async: true }) : undefined;
          const limiter = rateLimit({ ...options, clock, store });
          const ranAt: number[] = [];
          const pending: Array<Promise<unknown>> = [];
          // Both events fire once the store has answered (inside execute for the memory store, a
          // microtask later for the asynchronous one), before the call settles.
          let refusedFor: number | undefined;
          let grantedWait: number | undefined;
          limiter.on('rejected', (e) => {
            refusedFor = e.retryAfterMs;
          });
          limiter.on('granted', (e) => {
            grantedWait = e.waitMs;
          });
          const call = async (): Promise<{ refusedFor: number | undefined; grantedWait: number | undefined }> => {
            refusedFor = undefined;
            grantedWait = undefined;
            pending.push(
              limiter
                .execute(() => {
                  ranAt.push(clock.now());
                })
                .catch((e: unknown) => {
                  if (!(e instanceof RateLimitedError)) throw e;
                }),
            );
            if (asyncStore) for (let i = 0; i < 3; i++) await Promise.resolve();
            return { refusedFor, grantedWait };
          };
          const interval = options.windowMs / options.limit;
          for (const step of schedule) {
            if ('advance' in step) {
              await clock.advance(step.advance);
              continue;
            }
            for (let i = 0; i < step.call; i++) {
              const { refusedFor: retryAfterMs, grantedWait: waitMs } = await call();
              if (waitMs !== undefined) {
                expect(waitMs).toBeLessThanOrEqual(options.maxWaitMs);
                continue;
              }
              expect(retryAfterMs).toBeDefined();
              const r = retryAfterMs as number;
              // Refused only when the permit is further off than maxWaitMs, and never more than one
              // interval beyond it (the waiters ahead hold at most maxWaitMs of permits), give or take
              // float rounding: near epoch milliseconds each permit's step rounds by up to 2^-13 ms.
              expect(r).toBeGreaterThan(options.maxWaitMs);
              expect(r).toBeLessThanOrEqual(options.maxWaitMs + interval + 0.01);
              if (!step.retryExactly) continue;
              if (options.maxWaitMs === 0 && r > 1) {
                // Not late: a millisecond before, there is still no permit.
                await clock.advance(r - 1);
                expect((await call()).refusedFor).toBeGreaterThan(0);
                await clock.advance(1);
              } else {
                await clock.advance(r);
              }
              // Not early: exactly retryAfterMs later, a permit is free at once.
              expect(await call()).toEqual({ refusedFor: undefined, grantedWait: 0 });
            }
          }
          await clock.runAll();
          await Promise.all(pending);
          const burst = options.burst ?? options.limit;
          // The contract: never more than limit + burst in any span of windowMs.
          expect(busiestWindow(ranAt, options.windowMs)).toBeLessThanOrEqual(options.limit + burst);
          // And the tighter bound the guide tells users to size against a provider's limit with:
          // limit + burst - 1 in any span shorter than windowMs by the float slack (a permit may come
          // a microsecond early, and near epoch milliseconds each step rounds by up to 2^-13 ms).
          expect(busiestWindow(ranAt, options.windowMs - 0.01)).toBeLessThanOrEqual(options.limit + burst - 1);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
