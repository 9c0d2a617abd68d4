import { getEventListeners } from 'node:events';
import { CircuitOpenError, PermanentError, RetryableError, systemClock, TimeoutError } from 'bulwark';
import { constant, fromDelays, retry, retryBudget } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

const transient = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

failOnUnhandledRejections();

/** Work that fails with the given errors in turn, then returns 'ok'. */
function flaky(...errors: unknown[]) {
  const calls: Array<{ attempt: number; signal: AbortSignal }> = [];
  const fn = async ({ attempt, signal }: { attempt: number; signal: AbortSignal }) => {
    calls.push({ attempt, signal });
    if (calls.length <= errors.length) throw errors[calls.length - 1];
    return 'ok';
  };
  return { fn, calls };
}

function record(policy: ReturnType<typeof retry>) {
  const events: Array<[string, unknown]> = [];
  policy.on('retry', (e) => events.push(['retry', { attempt: e.attempt, delayMs: e.delayMs }]));
  policy.on('giveUp', (e) => events.push(['giveUp', { attempts: e.attempts, reason: e.reason }]));
  policy.on('success', (e) => events.push(['success', { attempts: e.attempts }]));
  return events;
}

describe('retry', () => {
  it('returns the first success without waiting or setting a timer', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock });
    const events = record(policy);
    const { fn, calls } = flaky();
    expect(await policy.execute(fn)).toBe('ok');
    expect(calls.map((c) => c.attempt)).toEqual([1]);
    expect(clock.pendingTimers).toBe(0);
    expect(events).toEqual([['success', { attempts: 1 }]]);
  });

  it('retries transient failures after the backoff, then succeeds', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, attempts: 3, backoff: fromDelays([100, 200]) });
    const events = record(policy);
    const { fn, calls } = flaky(transient(), new RetryableError('busy'));
    const call = policy.execute(fn);
    await clock.advance(99);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
    await clock.advance(200);
    expect(await call).toBe('ok');
    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(new Set(calls.map((c) => c.signal)).size).toBe(3);
    expect(events).toEqual([
      ['retry', { attempt: 1, delayMs: 100 }],
      ['retry', { attempt: 2, delayMs: 200 }],
      ['success', { attempts: 3 }],
    ]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("success and giveUp carry the whole call's duration, waits included", async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, attempts: 2, backoff: constant(100) });
    const durations: Array<[string, number]> = [];
    policy.on('success', (e) => durations.push(['success', e.durationMs]));
    policy.on('giveUp', (e) => durations.push(['giveUp', e.durationMs]));
    const slowThen = (fail: boolean) => async () => {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 30));
      if (fail) throw transient();
      return 'ok';
    };
    const first = policy.execute(slowThen(false));
    await clock.advance(30);
    await first;
    const second = policy.execute(slowThen(true)).catch((e: unknown) => e);
    await clock.advance(30 + 100 + 30);
    await second;
    expect(durations).toEqual([
      ['success', 30],
      ['giveUp', 160],
    ]);
  });

  it('uses the default backoff: 1 s then 2 s before jitter', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, random: () => 0.999999 });
    const events = record(policy);
    const { fn } = flaky(transient(), transient());
    const call = policy.execute(fn);
    await clock.runAll();
    expect(await call).toBe('ok');
    const delays = events.filter(([k]) => k === 'retry').map(([, e]) => (e as { delayMs: number }).delayMs);
    expect(delays[0]).toBeCloseTo(1000, 0);
    expect(delays[1]).toBeCloseTo(2000, 0);
  });

  it('throws a permanent error after one attempt, the very object thrown', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock });
    const events = record(policy);
    for (const error of [
      new PermanentError('bad input'),
      Object.assign(new Error('Not Found'), { status: 404 }),
      new TypeError('x is not a function'),
      new CircuitOpenError({ breaker: 'db', retryAfterMs: 5000 }),
    ]) {
      const { fn, calls } = flaky(error);
      await expect(policy.execute(fn)).rejects.toBe(error);
      expect(calls).toHaveLength(1);
    }
    const reasons = events.filter(([k]) => k === 'giveUp').map(([, e]) => (e as { reason: string }).reason);
    // An open breaker's refusal is not a permanent error: it has its own reason.
    expect(reasons).toEqual(['permanent', 'permanent', 'permanent', 'rejected']);
  });

  it('gives up when attempts run out, with the last error', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, attempts: 3, backoff: constant(10) });
    const events = record(policy);
    const errors = [transient(), transient(), transient(), transient()];
    const { fn, calls } = flaky(...errors);
    const outcome = expect(policy.execute(fn)).rejects.toBe(errors[2]);
    await clock.runAll();
    await outcome;
    expect(calls).toHaveLength(3);
    expect(events.at(-1)).toEqual(['giveUp', { attempts: 3, reason: 'exhausted' }]);
  });

  it('keeps the identity of non-Error values and retries TypeErrors when shouldRetry says so', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, attempts: 2, backoff: constant(1), shouldRetry: () => true });
    const { fn, calls } = flaky('a string', new TypeError('bug'), 'never');
    const outcome = expect(policy.execute(fn)).rejects.toBeInstanceOf(TypeError);
    await clock.runAll();
    await outcome;
    expect(calls).toHaveLength(2);
  });

  it('asks shouldRetry with the attempt and elapsed time, and a throwing predicate means no', async () => {
    const clock = new FakeClock();
    const seen: unknown[] = [];
    const policy = retry({
      clock,
      attempts: 5,
      backoff: constant(50),
      shouldRetry: async (error, ctx) => {
        seen.push(ctx);
        if (ctx.attempt === 2) throw new Error('predicate bug');
        return error instanceof Error;
      },
    });
    const events = record(policy);
    const errors = [transient(), transient(), transient()];
    const { fn } = flaky(...errors);
    const outcome = expect(policy.execute(fn)).rejects.toBe(errors[1]);
    await clock.runAll();
    await outcome;
    expect(seen).toEqual([
      { attempt: 1, elapsedMs: 0 },
      { attempt: 2, elapsedMs: 50 },
    ]);
    expect(events.at(-1)).toEqual(['giveUp', { attempts: 2, reason: 'permanent' }]);
  });

  it('waits at least what Retry-After asks, capped by maxRetryAfterMs', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, attempts: 3, backoff: constant(100), maxRetryAfterMs: 30_000 });
    const events = record(policy);
    const asked = Object.assign(new Error('429'), { status: 429, headers: { 'retry-after': '5' } });
    const tooLong = new RetryableError('later', { retryAfterMs: 600_000 });
    const { fn } = flaky(asked, tooLong);
    const call = policy.execute(fn);
    await clock.runAll();
    expect(await call).toBe('ok');
    expect(events.slice(0, 2)).toEqual([
      ['retry', { attempt: 1, delayMs: 5000 }],
      ['retry', { attempt: 2, delayMs: 30_000 }],
    ]);
  });

  it('does not start a wait that would end past maxElapsedMs', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, attempts: 10, backoff: constant(400), maxElapsedMs: 1000 });
    const events = record(policy);
    const { fn, calls } = flaky(...Array.from({ length: 10 }, transient));
    const outcome = policy.execute(fn).catch((e: unknown) => e);
    await clock.runAll();
    await outcome;
    expect(calls).toHaveLength(3); // waits end at 400 and 800; one ending at 1200 is not started
    expect(clock.now()).toBe(800);
    expect(events.at(-1)).toEqual(['giveUp', { attempts: 3, reason: 'deadline' }]);
  });

  it('gives up with the last error when Retry-After would cross maxElapsedMs', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, attempts: 3, backoff: constant(1), maxElapsedMs: 10_000 });
    const error = new RetryableError('later', { retryAfterMs: 20_000 });
    const { fn, calls } = flaky(error);
    await expect(policy.execute(fn)).rejects.toBe(error);
    expect(calls).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops retrying when the shared budget is spent', async () => {
    const clock = new FakeClock();
    const budget = retryBudget({ ratio: 0, minPerSecond: 0.1, windowMs: 10_000, clock }); // 1 retry per window
    const policy = retry({ clock, attempts: 3, backoff: constant(1), budget });
    const events = record(policy);
    const first = flaky(transient());
    const call = policy.execute(first.fn);
    await clock.runAll();
    expect(await call).toBe('ok');
    const error = transient();
    const second = flaky(error);
    await expect(policy.execute(second.fn)).rejects.toBe(error);
    expect(second.calls).toHaveLength(1);
    expect(events.at(-1)).toEqual(['giveUp', { attempts: 1, reason: 'budget' }]);
  });

  it('ends a 10-minute wait the moment the caller aborts, leaving no timer', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, attempts: 3, backoff: constant(600_000) });
    const events = record(policy);
    const controller = new AbortController();
    const { fn, calls } = flaky(transient(), transient());
    const call = policy.execute(fn, { signal: controller.signal });
    await clock.advance(1000);
    expect(clock.pendingTimers).toBe(1);
    const reason = new Error('client went away');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
    await clock.runAll();
    expect(calls).toHaveLength(1);
    expect(events.at(-1)).toEqual(['giveUp', { attempts: 1, reason: 'aborted' }]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once when the caller aborts during an attempt, and aborts that attempt', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock });
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const call = policy.execute(
      (ctx) => {
        signal = ctx.signal;
        return new Promise(() => {});
      },
      { signal: controller.signal },
    );
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(signal?.aborted).toBe(true);
  });

  it('does not start when the caller already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already gone'));
    let called = false;
    await expect(
      retry().execute(
        () => {
          called = true;
        },
        { signal: controller.signal },
      ),
    ).rejects.toThrow('already gone');
    expect(called).toBe(false);
  });

  it('retries a CircuitOpenError when shouldRetry says so, after the time the breaker asks', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, attempts: 2, backoff: constant(10), shouldRetry: () => true });
    const events = record(policy);
    const { fn } = flaky(new CircuitOpenError({ breaker: 'db', retryAfterMs: 3000 }));
    const call = policy.execute(fn);
    await clock.runAll();
    expect(await call).toBe('ok');
    expect(events[0]).toEqual(['retry', { attempt: 1, delayMs: 3000 }]);
  });

  it('retries TimeoutErrors from an inner timeout', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, backoff: constant(5) });
    const { fn, calls } = flaky(new TimeoutError(undefined, { timeoutMs: 100 }));
    const call = policy.execute(fn);
    await clock.runAll();
    expect(await call).toBe('ok');
    expect(calls).toHaveLength(2);
  });

  it('ignores listeners that throw', async () => {
    const clock = new FakeClock();
    const policy = retry({ clock, backoff: constant(1) });
    for (const event of ['retry', 'giveUp', 'success'] as const) {
      policy.on(event, () => {
        throw new Error('listener bug');
      });
    }
    const { fn } = flaky(transient());
    const call = policy.execute(fn);
    await clock.runAll();
    expect(await call).toBe('ok');
  });

  it('runs with the system clock and real timers', async () => {
    const policy = retry({ attempts: 2, backoff: constant(1) });
    const { fn } = flaky(transient());
    expect(await policy.execute(fn)).toBe('ok');
  });

  it('keeps the process alive during a wait, though the system clock unrefs its timers', async () => {
    // A script whose only pending thing is a backoff must not exit mid-retry.
    const handles: Array<{ hasRef(): boolean }> = [];
    const clock = {
      now: () => systemClock.now(),
      setTimeout: (cb: () => void, ms: number) => {
        const handle = systemClock.setTimeout(cb, ms) as { hasRef(): boolean };
        handles.push(handle);
        return handle;
      },
      clearTimeout: (handle: unknown) => systemClock.clearTimeout(handle),
    };
    const { fn } = flaky(transient());
    const call = retry({ attempts: 2, backoff: constant(20), clock }).execute(fn);
    await new Promise((resolve) => setImmediate(resolve));
    expect(handles).toHaveLength(1);
    expect(handles[0]?.hasRef()).toBe(true);
    expect(await call).toBe('ok');
  });

  it('refuses bad options at construction, naming them', () => {
    const bad: Array<[unknown, string | RegExp]> = [
      [
        { attempts: 0 },
        'retry: option "attempts" must be a whole number from 1 to 10000, or Infinity with maxElapsedMs; got 0 (number)',
      ],
      [{ attempts: 1.5 }, /"attempts".*got 1.5 \(number\)/],
      [{ attempts: Number.NaN }, /"attempts".*got NaN/],
      [{ attempts: '3' }, /"attempts".*got "3" \(string\)/],
      [
        { attempts: Number.POSITIVE_INFINITY },
        'retry: option "attempts" is Infinity, which needs "maxElapsedMs" to bound the retries',
      ],
      [{ maxElapsedMs: 0 }, 'retry: option "maxElapsedMs" must be a finite number of milliseconds > 0; got 0 (number)'],
      [{ backoff: 5 }, /retry: option "backoff" must be a backoff .* got 5 \(number\)/],
      [{ shouldRetry: true }, /retry: option "shouldRetry" must be a function .* got true \(boolean\)/],
      [{ budget: {} }, 'retry: option "budget" must be a RetryBudget from retryBudget(); got object'],
      [{ random: 0.5 }, /retry: option "random" must be a function/],
      [{ maxRetryAfterMs: -1 }, /retry: option "maxRetryAfterMs" must be a finite number of milliseconds >= 0; got -1/],
      [{ clock: Date }, /retry: option "clock" must be a Clock/],
      [{ tries: 3 }, /retry: unknown option "tries"; valid options are "attempts", /],
      ['3', 'retry: options must be an object; got "3" (string)'],
    ];
    for (const [options, message] of bad) expect(() => retry(options as never), String(message)).toThrow(message);
    expect(retry({ attempts: Number.POSITIVE_INFINITY, maxElapsedMs: 1000 }).attempts).toBe(Number.POSITIVE_INFINITY);
  });
});
