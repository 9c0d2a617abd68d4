/**
 * Issue 14, item 12: `stop()` settles at once, aborting the signals of runs in flight, so a test on
 * a FakeClock that awaits it never hangs, whatever the jitter made run when.
 */
import { createHealthChecker } from 'bulwark/health';
import { FakeClock } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

/** A check that ends only when its signal aborts (or, with `deaf`, never). */
function hanging(deaf = false) {
  const signals: AbortSignal[] = [];
  const check = (signal: AbortSignal) => {
    signals.push(signal);
    return new Promise<undefined>((_resolve, reject) => {
      if (!deaf) signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  };
  return { check, signals };
}

describe('health.stop()', () => {
  it('settles at once on a FakeClock with a check in flight, aborting its signal', async () => {
    const clock = new FakeClock();
    const health = createHealthChecker({ clock, intervalMs: 1000, timeoutMs: 60_000 });
    const { check, signals } = hanging();
    health.register('db', check);
    health.start();
    expect(signals).toHaveLength(1);
    // Before the fix this awaited the 60 s timeout on a clock nobody advances: the test hung.
    await health.stop();
    expect(signals[0]?.aborted).toBe(true);
    expect((signals[0] as AbortSignal).reason).toMatchObject({ name: 'AbortError' });
    expect(clock.pendingTimers).toBe(0);
    expect(health.running).toBe(false);
  });

  it('settles at once even when the check ignores its signal, and records nothing for it', async () => {
    const clock = new FakeClock();
    const health = createHealthChecker({ clock, intervalMs: 1000, timeoutMs: 5000 });
    const { check } = hanging(true);
    health.register('deaf', check);
    health.start();
    const before = health.status().checks.deaf;
    await health.stop();
    expect(health.status().checks.deaf).toEqual(before);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never hangs, whatever the jitter and however far the clock moved before stop', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.integer({ min: 0, max: 10_000 }),
        async (r, advance) => {
          const clock = new FakeClock();
          const health = createHealthChecker({ clock, intervalMs: 1000, timeoutMs: 3000, random: () => r });
          health.register('slow', hanging().check);
          health.register('deaf', hanging(true).check);
          health.register('quick', () => undefined);
          health.start();
          await clock.advance(advance);
          await health.stop();
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('a real-clock stop does not wait for a check timeout', async () => {
    const health = createHealthChecker({ intervalMs: 1000, timeoutMs: 30_000 });
    health.register('db', hanging().check);
    health.start();
    const started = performance.now();
    await health.stop();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
