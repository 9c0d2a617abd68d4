import { createHealthChecker, type HealthStatus } from 'bulwark/health';
import { FakeClock } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const status = fc.constantFrom<HealthStatus>('pass', 'warn', 'fail');

describe('health properties', () => {
  it('the whole is fail iff a critical check fails, else warn iff any warns or a non-critical one fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ status, critical: fc.boolean(), liveness: fc.boolean() }), { maxLength: 8 }),
        async (checks) => {
          const clock = new FakeClock();
          const checker = createHealthChecker({ clock });
          checks.forEach((c, i) => {
            checker.register(`c${i}`, async () => ({ status: c.status }), {
              critical: c.critical,
              groups: c.liveness ? ['liveness'] : ['readiness'],
            });
          });
          checker.start();
          await clock.advance(0);
          const expected = (subset: typeof checks): HealthStatus =>
            subset.some((c) => c.status === 'fail' && c.critical)
              ? 'fail'
              : subset.some((c) => c.status !== 'pass')
                ? 'warn'
                : 'pass';
          expect(checker.status().status).toBe(expected(checks));
          expect(checker.status('liveness').status).toBe(expected(checks.filter((c) => c.liveness)));
          expect(checker.status('readiness').status).toBe(expected(checks.filter((c) => !c.liveness)));
          await checker.stop();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('thresholds: the reported status follows the model for any run of outcomes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(status, { minLength: 1, maxLength: 15 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (outcomes, failureThreshold, successThreshold) => {
          const clock = new FakeClock();
          const checker = createHealthChecker({ clock, random: () => 0.5, intervalMs: 1000, timeoutMs: 100 });
          let i = 0;
          checker.register('x', async () => ({ status: outcomes[i++] as HealthStatus }), {
            failureThreshold,
            successThreshold,
          });
          // The model: first outcome as it is; a healthy check needs failureThreshold fails in a row
          // to fail, a failing one successThreshold healthy runs in a row to recover.
          let reported: HealthStatus | undefined;
          let fails = 0;
          let oks = 0;
          checker.start();
          for (let step = 0; step < outcomes.length; step++) {
            await clock.advance(step === 0 ? 0 : 1000);
            const outcome = outcomes[step] as HealthStatus;
            if (outcome === 'fail') {
              fails++;
              oks = 0;
            } else {
              oks++;
              fails = 0;
            }
            if (reported === undefined) reported = outcome;
            else if (reported !== 'fail')
              reported = outcome === 'fail' && fails < failureThreshold ? reported : outcome;
            else if (outcome !== 'fail' && oks >= successThreshold) reported = outcome;
            expect(checker.status().checks.x).toMatchObject({ status: reported, consecutiveFailures: fails });
          }
          await checker.stop();
        },
      ),
      { numRuns: 80 },
    );
  });
});
