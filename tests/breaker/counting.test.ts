/**
 * How the breaker counts a call on its lean path (issue #16): a plain closed call is counted by
 * handlers made once per state, and whether calls are timed is asked again only when a listener
 * comes or goes. These pin what must not change with that.
 */
import { circuitBreaker, consecutiveFailures, failureRate } from 'bulwark/breaker';
import { FakeClock } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const down = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('counting plain calls', () => {
  it('an outcome of a call started before the breaker changed state does not count in the new state', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ trip: consecutiveFailures(1), openMs: 100, clock });
    const slow = deferred<string>();
    const stale = breaker.execute(() => slow.promise.then(() => Promise.reject(down())));
    // Another call trips it; the first call's failure arrives while it is open, then half-open.
    await breaker.execute(() => Promise.reject(down())).catch(() => {});
    expect(breaker.state).toBe('open');
    await clock.advance(100);
    const probe = deferred<string>();
    const probing = breaker.execute(() => probe.promise);
    slow.resolve('late');
    await stale.catch(() => {});
    expect(breaker.state).toBe('half-open');
    probe.resolve('ok');
    expect(await probing).toBe('ok');
    expect(breaker.state).toBe('closed');
    // Closed again: plain calls count in this state, so one failure trips it again.
    await breaker.execute(() => Promise.reject(down())).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('a success in flight while the breaker tripped and closed again is not counted in the new closed state', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ trip: consecutiveFailures(2), openMs: 10, clock });
    const old = deferred<string>();
    const inFlight = breaker.execute(() => old.promise);
    await breaker.execute(() => Promise.reject(down())).catch(() => {});
    await breaker.execute(() => Promise.reject(down())).catch(() => {});
    expect(breaker.state).toBe('open');
    await clock.advance(10);
    await breaker.execute(async () => 'probe');
    expect(breaker.state).toBe('closed');
    await breaker.execute(() => Promise.reject(down())).catch(() => {});
    // The old call's success must not reset the new run of failures.
    old.resolve('late');
    expect(await inFlight).toBe('late');
    await breaker.execute(() => Promise.reject(down())).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('a listener added between calls gets durations from the next call on, and none after it left', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock });
    const wait = (ms: number) => async () => {
      await clock.advance(ms);
      return ms;
    };
    await breaker.execute(wait(3));
    const durations: number[] = [];
    const off = breaker.on('success', ({ durationMs }) => durations.push(durationMs));
    await breaker.execute(wait(7));
    const failures: number[] = [];
    const offFailure = breaker.on('failure', ({ durationMs }) => failures.push(durationMs));
    await breaker
      .execute(async () => {
        await clock.advance(4);
        throw down();
      })
      .catch(() => {});
    off();
    await breaker.execute(wait(9));
    offFailure();
    await breaker.execute(wait(2));
    expect(durations).toEqual([7]);
    expect(failures).toEqual([4]);
    expect(breaker.stats()).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('a slowCall rule set by configure times the calls that follow', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      trip: failureRate({ threshold: 1, minimumCalls: 2, window: { calls: 2 } }),
      clock,
    });
    const slowCall = async () => {
      await clock.advance(50);
      return 'slow';
    };
    await breaker.execute(slowCall);
    breaker.configure({ slowCall: { thresholdMs: 20, rate: 0.5 } });
    await breaker.execute(slowCall);
    expect(breaker.stats().slowCalls).toBe(1);
  });
});
