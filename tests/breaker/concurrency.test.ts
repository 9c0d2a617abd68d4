import { CircuitOpenError } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { FakeClock } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

describe('circuit breaker under concurrency', () => {
  it('100 calls arriving together in half-open: exactly `probes` run, the rest are refused at once, any settle order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }).chain((probes) =>
          fc.tuple(
            fc.constant(probes),
            fc.array(fc.boolean(), { minLength: probes, maxLength: probes }),
            fc.shuffledSubarray(
              Array.from({ length: probes }, (_, i) => i),
              { minLength: probes, maxLength: probes },
            ),
          ),
        ),
        async ([probes, succeeds, order]) => {
          const clock = new FakeClock();
          const breaker = circuitBreaker({ clock, trip: consecutiveFailures(1), openMs: 100, halfOpen: { probes } });
          await breaker.execute(() => Promise.reject(Object.assign(new Error('x'), { code: 'EPIPE' }))).catch(() => {});
          await clock.advance(100);
          const settle: Array<() => void> = [];
          const calls = Array.from({ length: 100 }, () =>
            breaker
              .execute(
                () =>
                  new Promise<string>((resolve, reject) => {
                    const i = settle.length;
                    settle.push(() =>
                      succeeds[i] ? resolve('ok') : reject(Object.assign(new Error('down'), { code: 'ECONNRESET' })),
                    );
                  }),
              )
              .then(
                () => 'ok',
                (e: unknown) => (e instanceof CircuitOpenError ? 'refused' : 'failed'),
              ),
          );
          expect(settle).toHaveLength(probes);
          // The refused ones settle before any probe does.
          const refused = await Promise.all(calls.slice(probes));
          expect(refused.every((r) => r === 'refused')).toBe(true);
          for (const i of order) {
            settle[i]?.();
            await clock.advance(0);
          }
          const outcomes = await Promise.all(calls.slice(0, probes));
          expect(outcomes).toEqual(succeeds.map((s) => (s ? 'ok' : 'failed')));
          expect(breaker.state).toBe(succeeds.every(Boolean) ? 'closed' : 'open');
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
