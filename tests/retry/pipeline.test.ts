/**
 * The recommended pipeline, end to end on FakeClock:
 * compose(timeout(total), retry(...), breaker, timeout(perAttempt)).
 */
import { CircuitOpenError, compose, TimeoutError } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { constant, retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const refused = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' });

function pipeline(clock: FakeClock) {
  const total = timeout({ ms: 10_000, clock, name: 'total' });
  const retries = retry({ attempts: 5, backoff: constant(100), clock });
  const breaker = circuitBreaker({ name: 'upstream', trip: consecutiveFailures(3), openMs: 30_000, clock });
  const perAttempt = timeout({ ms: 1000, clock, name: 'attempt' });
  const giveUps: string[] = [];
  retries.on('giveUp', ({ reason }) => giveUps.push(reason));
  return { policy: compose(total, retries, breaker, perAttempt), breaker, giveUps };
}

describe('pipeline: timeout(total) > retry > breaker > timeout(per attempt)', () => {
  it('rides out a dependency that fails twice, then recovers', async () => {
    const clock = new FakeClock();
    const { policy, breaker } = pipeline(clock);
    const attempts: number[] = [];
    const call = policy.execute(async ({ attempt }) => {
      attempts.push(attempt);
      if (attempts.length <= 2) throw refused();
      return 'data';
    });
    await clock.runAll();
    expect(await call).toBe('data');
    expect(attempts).toEqual([1, 2, 3]);
    expect(breaker.state).toBe('closed');
    expect(clock.now()).toBe(200);
    expect(clock.pendingTimers).toBe(0);
  });

  it('times out a hanging attempt, aborts it, and retries', async () => {
    const clock = new FakeClock();
    const { policy } = pipeline(clock);
    const signals: AbortSignal[] = [];
    const call = policy.execute(({ signal }) => {
      signals.push(signal);
      return signals.length === 1 ? new Promise<string>(() => {}) : Promise.resolve('second time lucky');
    });
    await clock.runAll();
    expect(await call).toBe('second time lucky');
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(TimeoutError);
    expect(signals[1]?.aborted).toBe(false);
    expect(clock.now()).toBe(1100);
  });

  it('stops retrying once the breaker opens on a dependency that is down', async () => {
    const clock = new FakeClock();
    const { policy, breaker, giveUps } = pipeline(clock);
    let reached = 0;
    const call = policy
      .execute(async () => {
        reached++;
        throw refused();
      })
      .catch((e: unknown) => e);
    await clock.runAll();
    const error = await call;
    // The 3rd failure opened the breaker: retry stops there, with that failure, and does not
    // sleep a backoff only to be refused.
    expect(reached).toBe(3);
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(giveUps).toEqual(['rejected']);
    expect(breaker.state).toBe('open');
    expect(clock.now()).toBe(200); // two waits of 100 ms, none after the attempt that opened it

    // While it is open, callers fail fast: no attempt, no waiting.
    const started = clock.now();
    await expect(policy.execute(async () => 'never runs')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(clock.now()).toBe(started);
    expect(reached).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('the total deadline bounds retries and waits', async () => {
    const clock = new FakeClock();
    const total = timeout({ ms: 2500, clock });
    const policy = compose(
      total,
      retry({ attempts: 100, backoff: constant(1000), clock }),
      timeout({ ms: 1000, clock }),
    );
    const call = policy.execute(() => new Promise(() => {})).catch((e: unknown) => e);
    await clock.runAll();
    const error = await call;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 2500 });
    expect(clock.now()).toBe(2500);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a caller that aborts midway gets its reason at once and leaves nothing behind', async () => {
    const clock = new FakeClock();
    const { policy, breaker } = pipeline(clock);
    const controller = new AbortController();
    let reached = 0;
    const call = policy.execute(
      async () => {
        reached++;
        throw refused();
      },
      { signal: controller.signal },
    );
    await clock.advance(50); // first attempt failed; waiting 100 ms before the second
    const reason = new Error('user closed the page');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    await clock.runAll();
    expect(reached).toBe(1);
    expect(breaker.stats().failures).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });
});
