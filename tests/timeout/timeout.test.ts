import { getEventListeners } from 'node:events';
import { classify, TimeoutError } from 'bulwark';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

const never = () => new Promise<never>(() => {});

failOnUnhandledRejections();

describe('timeout', () => {
  it('resolves with the work value and clears its timer', async () => {
    const clock = new FakeClock();
    const policy = timeout({ ms: 1000, clock });
    const call = policy.execute(async () => 'ok');
    expect(clock.pendingTimers).toBe(1);
    expect(await call).toBe('ok');
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with a TimeoutError when time runs out, and aborts the signal with it', async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | undefined;
    const call = timeout({ ms: 500, clock }).execute((ctx) => {
      signal = ctx.signal;
      return never();
    });
    const outcome = call.catch((err: unknown) => err);
    await clock.advance(499);
    expect(signal?.aborted).toBe(false);
    await clock.advance(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_TIMEOUT', timeoutMs: 500, message: 'timed out after 500 ms' });
    expect(classify(error)).toBe('retryable');
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets cooperative work stop when the signal aborts, and handles its late rejection', async () => {
    const clock = new FakeClock();
    let stopped = false;
    const call = timeout({ ms: 100, clock }).execute(
      ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => {
            stopped = true;
            reject(new Error('work saw the abort'));
          });
        }),
    );
    const outcome = expect(call).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(100);
    await outcome;
    expect(stopped).toBe(true);
  });

  it('drops a result that arrives after the timeout without an unhandled rejection', async () => {
    const clock = new FakeClock();
    let fail: (err: Error) => void = () => {};
    const call = timeout({ ms: 10, clock }).execute(
      () =>
        new Promise((_, reject) => {
          fail = reject;
        }),
    );
    const outcome = expect(call).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(10);
    await outcome;
    fail(new Error('late'));
    await clock.advance(0);
  });

  it('never aborts the signal after the work succeeded', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const value = await timeout({ ms: 100, clock }).execute(
      async (ctx) => {
        signal = ctx.signal;
        return 1;
      },
      { signal: controller.signal },
    );
    expect(value).toBe(1);
    controller.abort(new Error('caller left afterwards'));
    await clock.advance(1000);
    expect(signal?.aborted).toBe(false);
  });

  it('rejects at once with the caller reason when the caller aborts, and aborts the work', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let signal: AbortSignal | undefined;
    const call = timeout({ ms: 10_000, clock }).execute(
      (ctx) => {
        signal = ctx.signal;
        return never();
      },
      { signal: controller.signal },
    );
    const reason = new Error('user cancelled');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(signal?.reason).toBe(reason);
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('does not call the work when the caller already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let called = false;
    const call = timeout(100).execute(
      () => {
        called = true;
      },
      { signal: controller.signal },
    );
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(called).toBe(false);
  });

  it('leaves no listener on a long-lived caller signal after many calls', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const policy = timeout({ ms: 100, clock });
    for (let i = 0; i < 50; i++) await policy.execute(async () => i, { signal: controller.signal });
    await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        policy.execute(() => Promise.reject(new Error('x')), { signal: controller.signal }),
      ),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('passes through the work error and the attempt number', async () => {
    const clock = new FakeClock();
    const policy = timeout({ ms: 100, clock });
    const boom = new Error('boom');
    await expect(policy.execute(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(
      policy.execute(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await policy.execute(({ attempt }) => attempt, { attempt: 3 })).toBe(3);
    expect(await policy.execute(({ attempt }) => attempt)).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('returns synchronous results without setting a timer', async () => {
    const clock = new FakeClock();
    const call = timeout({ ms: 100, clock }).execute(() => 7);
    expect(clock.pendingTimers).toBe(0);
    expect(await call).toBe(7);
  });

  it('emits timeout events, and a throwing listener changes nothing', async () => {
    const clock = new FakeClock();
    const policy = timeout({ ms: 50, clock, name: 'db' });
    const events: unknown[] = [];
    policy.on('timeout', () => {
      throw new Error('listener bug');
    });
    const off = policy.on('timeout', (e) => events.push(e));
    const first = expect(policy.execute(never)).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(50);
    await first;
    expect(events).toEqual([{ name: 'db', ms: 50 }]);
    off();
    off();
    const second = expect(policy.execute(never)).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(50);
    await second;
    expect(events).toHaveLength(1);
    expect(policy.name).toBe('db');
    expect(policy.ms).toBe(50);
  });

  it('accepts ms as a number or in options', () => {
    expect(timeout(1).ms).toBe(1);
    expect(timeout({ ms: 2 ** 31 - 1 }).ms).toBe(2 ** 31 - 1);
    expect(timeout(0.5).ms).toBe(0.5);
    expect(timeout(10).name).toBe('timeout');
  });

  it.each([
    [0, 'got 0 (number)'],
    [-1, 'got -1 (number)'],
    [Number.NaN, 'got NaN (number)'],
    [2 ** 31, 'got 2147483648 (number)'],
    [Number.POSITIVE_INFINITY, 'got Infinity (number)'],
    ['100', 'got "100" (string)'],
  ])('refuses ms = %s at construction with a RangeError naming the option', (ms, got) => {
    const expected = `timeout: option "ms" must be a number of milliseconds greater than 0 up to 2147483647; ${got}`;
    expect(() => timeout({ ms: ms as number })).toThrow(RangeError);
    expect(() => timeout({ ms: ms as number })).toThrow(expected);
    if (typeof ms === 'number') expect(() => timeout(ms)).toThrow(expected);
  });

  it('refuses other bad options, naming them', () => {
    expect(() => timeout('100' as unknown as number)).toThrow(
      'timeout: expected a number of milliseconds or an options object { ms, name?, clock? }; got "100" (string)',
    );
    expect(() => timeout({ ms: 1, clock: {} as FakeClock })).toThrow(
      'timeout: option "clock" must be a Clock (an object with now, setTimeout and clearTimeout functions); got object',
    );
    expect(() => timeout({ ms: 1, msec: 5 } as never)).toThrow(
      'timeout: unknown option "msec"; valid options are "ms", "name", "clock"',
    );
    expect(() => timeout({ ms: 1, name: '' })).toThrow(
      'timeout: option "name" must be a string of 1 to 128 printable characters; got "" (string)',
    );
    expect(() => timeout({} as never)).toThrow(
      'timeout: option "ms" must be a number of milliseconds greater than 0 up to 2147483647; got undefined',
    );
  });

  it('with the system clock, a real timer fires and nothing is left behind', async () => {
    const policy = timeout(5);
    await expect(policy.execute(never)).rejects.toBeInstanceOf(TimeoutError);
    expect(await policy.execute(async () => 'fast')).toBe('fast');
  });
});
