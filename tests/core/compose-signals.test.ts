import { compose, RetryableError } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { fromDelays, retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

/** Runs a pipeline whose work fails twice, then succeeds; returns the signal each attempt saw. */
async function signalsSeen(make: (clock: FakeClock) => ReturnType<typeof compose>): Promise<AbortSignal[]> {
  const clock = new FakeClock();
  const seen: AbortSignal[] = [];
  const call = make(clock).execute(async ({ signal }) => {
    seen.push(signal);
    if (seen.length < 3) throw new RetryableError('busy');
    return 'ok';
  });
  await clock.advance(100);
  expect(await call).toBe('ok');
  expect(clock.pendingTimers).toBe(0);
  return seen;
}

describe('the signal each attempt of a composed pipeline hands the work', () => {
  it("is the attempt's own, with a timeout inside the retry", async () => {
    const seen = await signalsSeen((clock) =>
      compose(retry({ clock, backoff: fromDelays([10, 10]) }), circuitBreaker({ clock }), timeout({ ms: 50, clock })),
    );
    expect(new Set(seen).size).toBe(3);
    expect(seen.every((s) => !s.aborted)).toBe(true);
  });

  it("is the attempt's own, without a timeout inside the retry", async () => {
    const seen = await signalsSeen((clock) =>
      compose(timeout({ ms: 1000, clock }), retry({ clock, backoff: fromDelays([10, 10]) }), circuitBreaker({ clock })),
    );
    expect(new Set(seen).size).toBe(3);
  });

  it('still follows a caller signal through a retry whose own signal is hidden', async () => {
    const clock = new FakeClock();
    const caller = new AbortController();
    let signal: AbortSignal | undefined;
    const call = compose(retry({ clock }), timeout({ ms: 1000, clock })).execute(
      (ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      },
      { signal: caller.signal },
    );
    caller.abort(new Error('caller left'));
    await expect(call).rejects.toThrow('caller left');
    expect(signal?.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});
