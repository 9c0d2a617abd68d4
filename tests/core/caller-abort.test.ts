import { getEventListeners } from 'node:events';
import { compose, type Policy } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { bulkhead } from 'bulwark/bulkhead';
import { hedge } from 'bulwark/hedge';
import { rateLimit } from 'bulwark/rate-limit';
import { retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

/**
 * The one rule (docs/core.md, "When the caller aborts"): a caller's abort that comes before the
 * work settled rejects the call with the caller's reason, whether the work then returns a value,
 * throws or returns a promise; it reaches the work's signal at once, even during the work's
 * synchronous part; and nothing aborts the work's signal after the work settled.
 */
const policies: Array<[string, (clock: FakeClock) => Policy]> = [
  ['timeout', (clock) => timeout({ ms: 1000, clock })],
  ['circuitBreaker', (clock) => circuitBreaker({ clock })],
  ['retry', (clock) => retry({ clock })],
  [
    'compose(retry, breaker, timeout)',
    (clock) => compose(retry({ clock }), circuitBreaker({ clock }), timeout({ ms: 1000, clock })),
  ],
  ['compose(timeout, retry)', (clock) => compose(timeout({ ms: 1000, clock }), retry({ clock }))],
  ['compose()', () => compose()],
  ['bulkhead', () => bulkhead({ limit: 2 })],
  ['rateLimit', (clock) => rateLimit({ limit: 100, windowMs: 1000, clock })],
  ['hedge', (clock) => hedge({ delayMs: 1000, clock })],
  [
    'compose(bulkhead, rateLimit, timeout)',
    (clock) =>
      compose(bulkhead({ limit: 2 }), rateLimit({ limit: 100, windowMs: 1000, clock }), timeout({ ms: 1000, clock })),
  ],
];

describe.each(policies)('when the caller aborts: %s', (_, make) => {
  it('during the synchronous part of work that returns a value: rejects with the reason, the work saw it', async () => {
    const policy = make(new FakeClock());
    const caller = new AbortController();
    const reason = new Error('caller left');
    let seenInside: boolean | undefined;
    const call = policy.execute(
      ({ signal }) => {
        caller.abort(reason);
        seenInside = signal.aborted;
        return 'value';
      },
      { signal: caller.signal },
    );
    await expect(call).rejects.toBe(reason);
    expect(seenInside).toBe(true);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it('during the synchronous part of work that returns a promise: rejects at once, the late result is swallowed', async () => {
    const policy = make(new FakeClock());
    const caller = new AbortController();
    const reason = new Error('caller left');
    let fail: (err: Error) => void = () => {};
    const call = policy.execute(
      () => {
        caller.abort(reason);
        return new Promise((_, reject) => {
          fail = reject;
        });
      },
      { signal: caller.signal },
    );
    await expect(call).rejects.toBe(reason);
    fail(new Error('late'));
    await Promise.resolve();
  });

  it('during the synchronous part of work that throws: rejects with the reason', async () => {
    const policy = make(new FakeClock());
    const caller = new AbortController();
    const reason = new Error('caller left');
    const call = policy.execute(
      ({ signal }) => {
        caller.abort(reason);
        signal.throwIfAborted();
        throw new Error('unreachable');
      },
      { signal: caller.signal },
    );
    await expect(call).rejects.toBe(reason);
  });

  it('while the work runs: rejects at once with the reason and aborts the work signal', async () => {
    const policy = make(new FakeClock());
    const caller = new AbortController();
    const reason = new Error('caller left');
    let signal: AbortSignal | undefined;
    const call = policy.execute(
      (ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      },
      { signal: caller.signal },
    );
    await Promise.resolve();
    caller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(signal?.aborted).toBe(true);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it('after the work succeeded: nothing changes, and no policy aborts the work signal', async () => {
    const policy = make(new FakeClock());
    const caller = new AbortController();
    let signal: AbortSignal | undefined;
    const value = await policy.execute(
      async (ctx) => {
        signal = ctx.signal;
        return 'value';
      },
      { signal: caller.signal },
    );
    caller.abort(new Error('too late'));
    expect(value).toBe('value');
    // A policy with no time limit of its own, used alone, hands the work the caller's own
    // signal: only the caller aborted it.
    if (signal === caller.signal) expect(['breaker', 'bulkhead', 'rate-limit']).toContain(policy.kind);
    else expect(signal?.aborted).toBe(false);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });
});

describe('a circuit breaker used alone honours the caller while the work runs', () => {
  it('rejects at once with the reason, and counts the abandoned call as ignored, not failed', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock, trip: consecutiveFailures(1) });
    const ignored: unknown[] = [];
    breaker.on('ignored', ({ error }) => ignored.push(error));
    const caller = new AbortController();
    const reason = new Error('caller left');
    const call = breaker.execute(() => new Promise(() => {}), { signal: caller.signal });
    await clock.advance(5);
    caller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(ignored).toEqual([reason]);
    expect(breaker.state).toBe('closed');
  });

  it('in half-open, an abandoned probe frees its slot at once, not after probeTimeoutMs', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock, trip: consecutiveFailures(1), openMs: 100 });
    await breaker
      .execute(() => Promise.reject(Object.assign(new Error('down'), { code: 'ECONNRESET' })))
      .catch(() => {});
    await clock.advance(100);
    expect(breaker.state).toBe('half-open');
    const caller = new AbortController();
    const probe = breaker.execute(() => new Promise(() => {}), { signal: caller.signal });
    await expect(breaker.execute(async () => 'second')).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
    caller.abort(new Error('caller left'));
    await expect(probe).rejects.toThrow('caller left');
    // The slot is free now: the next call is the probe, and its success closes the breaker.
    expect(await breaker.execute(async () => 'next probe')).toBe('next probe');
    expect(breaker.state).toBe('closed');
  });
});
