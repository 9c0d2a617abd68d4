import { getEventListeners } from 'node:events';
import { BulkheadRejectedError, classify, compose, RejectedError, retryAfterMs, TimeoutError } from 'bulwark';
import { adaptiveLimit, bulkhead } from 'bulwark/bulkhead';
import { retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

/** Work that settles when the test says so. */
function gate<T = string>() {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const settled = async <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describe('bulkhead', () => {
  it('runs up to limit at once, queues up to queue more in order, refuses the rest at once', async () => {
    const b = bulkhead({ limit: 2, queue: 2 });
    const gates = Array.from({ length: 5 }, () => gate());
    const started: number[] = [];
    const calls = gates.map((g, i) =>
      b.execute(() => {
        started.push(i);
        return g.promise;
      }),
    );
    expect(started).toEqual([0, 1]);
    expect(b.stats()).toMatchObject({ active: 2, queued: 2, limit: 2, rejected: 1 });
    const refused = await settled(calls[4] as Promise<string>);
    expect(refused.ok).toBe(false);
    const error = (refused as { error: unknown }).error;
    expect(error).toBeInstanceOf(BulkheadRejectedError);
    expect(error).toBeInstanceOf(RejectedError);
    expect(error).toMatchObject({ code: 'ERR_BULKHEAD_FULL', policy: 'bulkhead' });
    expect((error as Error).message).toContain('is full (2 running, 2 waiting)');
    gates[1]?.open('one');
    await expect(calls[1]).resolves.toBe('one');
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.open('zero');
    await calls[0];
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) g.open('x');
    await Promise.all(calls.slice(0, 4));
    expect(b.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it('a refusal has no stack frames: cheap on the overload path', async () => {
    const b = bulkhead({ limit: 1 });
    const g = gate();
    const running = b.execute(() => g.promise);
    const error = (await settled(b.execute(() => 'never'))) as { error: Error };
    expect(error.error.stack?.split('\n')).toHaveLength(1);
    expect(error.error.stack).toContain('BulkheadRejectedError: bulkhead "bulkhead" is full');
    // The setting is restored for every other error.
    expect(new Error('x').stack?.split('\n').length).toBeGreaterThan(1);
    g.open('done');
    await running;
  });

  it('a waiting call whose caller aborts leaves the queue at once with the reason and frees its place', async () => {
    const clock = new FakeClock();
    const b = bulkhead({ limit: 1, queue: 1, clock });
    const abandoned: number[] = [];
    b.on('abandoned', (e) => abandoned.push(e.waitedMs));
    const g = gate();
    const running = b.execute(() => g.promise);
    const controller = new AbortController();
    let ran = false;
    const waiting = b.execute(
      () => {
        ran = true;
        return 'late';
      },
      { signal: controller.signal },
    );
    await clock.advance(30);
    const reason = new Error('user left');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(abandoned).toEqual([30]);
    expect(b.stats()).toMatchObject({ queued: 0, abandoned: 1, rejected: 0 });
    // Its place is free: another call can wait.
    const next = b.execute(() => 'next');
    g.open('first');
    await expect(running).resolves.toBe('first');
    await expect(next).resolves.toBe('next');
    expect(ran).toBe(false);
  });

  it('an outer timeout ends a wait in the queue at once, frees the place, and leaves no listener or timer', async () => {
    const clock = new FakeClock();
    const pool = bulkhead({ limit: 1, queue: 1, clock });
    const policy = compose(timeout({ ms: 50, clock }), pool);
    const g = gate();
    const running = pool.execute(() => g.promise);
    let ran = false;
    const waiting = settled(
      policy.execute(() => {
        ran = true;
        return 'late';
      }),
    );
    await clock.advance(50);
    expect((await waiting) as { error: unknown }).toMatchObject({ ok: false, error: expect.any(TimeoutError) });
    expect(pool.stats()).toMatchObject({ queued: 0, abandoned: 1 });
    g.open('done');
    await running;
    expect(ran).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ten thousand waiters whose callers abort leave in any order, each in constant time', async () => {
    const pool = bulkhead({ limit: 1, queue: 10_000 });
    const g = gate();
    const running = pool.execute(() => g.promise);
    const controllers = Array.from({ length: 10_000 }, () => new AbortController());
    const waiting = controllers.map((c) => pool.execute(() => 'x', { signal: c.signal }).catch(() => 'left'));
    // Every other one from the back, then the rest from the front: the middle of the line empties.
    for (let i = controllers.length - 1; i >= 0; i -= 2) controllers[i]?.abort();
    for (let i = 0; i < controllers.length; i += 2) controllers[i]?.abort();
    expect(await Promise.all(waiting)).toEqual(Array(10_000).fill('left'));
    expect(pool.stats()).toMatchObject({ queued: 0, abandoned: 10_000, active: 1 });
    g.open('done');
    await running;
  });

  it('a call stops listening to its caller signal when it settles, is refused, or leaves the queue', async () => {
    const clock = new FakeClock();
    const pool = bulkhead({ limit: 1, queue: 3, queueTimeoutMs: 100, clock });
    const shared = new AbortController().signal;
    const g = gate();
    const running = pool.execute(() => g.promise);
    const second = gate();
    const starts = pool.execute(() => second.promise, { signal: shared });
    const times = settled(pool.execute(() => 'never', { signal: shared }));
    const leaves = new AbortController();
    const left = settled(pool.execute(() => 'never', { signal: AbortSignal.any([shared, leaves.signal]) }));
    expect(getEventListeners(shared, 'abort')).toHaveLength(2);
    leaves.abort();
    expect((await left).ok).toBe(false);
    await clock.advance(50);
    g.open('done');
    await running;
    // The first waiter runs now: its work has the signal, and the call follows it (one listener
    // swapped for another); the one still waiting listens too.
    expect(getEventListeners(shared, 'abort')).toHaveLength(2);
    await clock.advance(50);
    expect((await times).ok).toBe(false);
    expect(getEventListeners(shared, 'abort')).toHaveLength(1);
    second.open('started');
    await expect(starts).resolves.toBe('started');
    expect(getEventListeners(shared, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a call whose caller already aborted is refused with the reason, without taking a place', async () => {
    const b = bulkhead({ limit: 1 });
    const reason = new Error('gone');
    await expect(b.execute(() => 'x', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(b.stats()).toMatchObject({ active: 0, rejected: 0 });
  });

  it('a call that waits past queueTimeoutMs is refused; one timer serves the whole queue', async () => {
    const clock = new FakeClock();
    const b = bulkhead({ limit: 1, queue: 3, queueTimeoutMs: 100, clock, name: 'render' });
    const events: string[] = [];
    b.on('rejected', (e) => events.push(`${e.reason}:${e.waitedMs}`));
    const g = gate();
    const running = b.execute(() => g.promise);
    const first = settled(b.execute(() => 'a'));
    await clock.advance(40);
    const second = settled(b.execute(() => 'b'));
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(60);
    const one = await first;
    expect(one.ok).toBe(false);
    expect((one as { error: Error }).error).toMatchObject({ code: 'ERR_BULKHEAD_FULL', policy: 'render' });
    expect((one as { error: Error }).error.message).toContain('waited 100 ms in the queue');
    expect(b.stats()).toMatchObject({ queued: 1, queueTimeouts: 1, rejected: 1 });
    g.open('done');
    await running;
    await expect(second).resolves.toEqual({ ok: true, value: 'b' });
    expect(events).toEqual(['queue-timeout:100']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('retryAfterMs estimates when the next place frees: mean call duration over the limit', async () => {
    const clock = new FakeClock();
    const b = bulkhead({ limit: 2, clock });
    const a = gate();
    const c = gate();
    const p1 = b.execute(() => a.promise);
    const p2 = b.execute(() => c.promise);
    // Before any call finished: the time since the first timed call started, over the limit.
    await clock.advance(50);
    const early = (await settled(b.execute(() => 'x'))) as { error: BulkheadRejectedError };
    expect(early.error.retryAfterMs).toBe(25);
    await clock.advance(150);
    c.open('c');
    await p2;
    const p3 = b.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve('d'), 200)));
    const refused = (await settled(b.execute(() => 'x'))) as { error: BulkheadRejectedError };
    expect(refused.error.retryAfterMs).toBe(100);
    expect(retryAfterMs(refused.error)).toBe(100);
    a.open('a');
    await clock.advance(200);
    await Promise.all([p1, p3]);
  });

  it('hands the work the caller signal and the attempt; sync results and sync throws free the place', async () => {
    const b = bulkhead({ limit: 1 });
    const controller = new AbortController();
    await expect(
      b.execute(({ signal, attempt }) => [signal === controller.signal, attempt], {
        signal: controller.signal,
        attempt: 3,
      }),
    ).resolves.toEqual([true, 3]);
    await expect(
      b.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(b.execute(({ signal }) => signal.aborted)).resolves.toBe(false);
    expect(b.stats().active).toBe(0);
  });

  it('without a caller signal, the work gets one that never aborts and keeps no listener', async () => {
    const b = bulkhead({ limit: 2 });
    const signals = await Promise.all([0, 1].map(() => b.execute(({ signal }) => signal)));
    const [signal] = signals;
    expect(signal?.aborted).toBe(false);
    let fired = false;
    signal?.addEventListener('abort', () => {
      fired = true;
    });
    expect(() => signal?.throwIfAborted()).not.toThrow();
    expect(AbortSignal.any([signal as AbortSignal, new AbortController().signal]).aborted).toBe(false);
    expect(signals[1]).toBe(signal); // one shared signal, no controller per call
    expect(fired).toBe(false);
  });

  it('BulkheadRejectedError is retryable, and retry waits at least its retryAfterMs (no spinning)', async () => {
    const clock = new FakeClock();
    const b = bulkhead({ limit: 1, clock, name: 'pool' });
    const hold = b.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve('held'), 100)));
    await clock.advance(100);
    await hold;
    // The mean duration is 100 ms, so a refusal says 100 ms (limit 1).
    const blocker = b.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve('blocker'), 250)));
    const attempts: number[] = [];
    const delays: number[] = [];
    const policy = retry({ attempts: 5, backoff: () => 1, clock });
    policy.on('retry', (e) => delays.push(e.delayMs));
    const call = policy.execute(() =>
      b.execute(() => {
        attempts.push(clock.now());
        return 'in';
      }),
    );
    await clock.advance(400);
    await expect(call).resolves.toBe('in');
    await blocker;
    expect(delays.every((d) => d >= 100)).toBe(true);
    expect(delays.length).toBeLessThanOrEqual(3);
    expect(attempts).toHaveLength(1);
    expect(classify(await b.execute(() => 'x').catch((e: unknown) => e))).toBe('permanent'); // 'x' is no Error
  });

  it('an adaptive limit is read on every call and fed every finished call', async () => {
    const clock = new FakeClock();
    const limit = adaptiveLimit({ initial: 2, min: 1, max: 10 });
    const b = bulkhead({ limit, clock });
    expect(b.adaptive).toBe(limit);
    expect(b.stats().limit).toBe(2);
    const calls = [0, 1].map(() => b.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve(1), 10))));
    await clock.advance(10);
    await Promise.all(calls);
    expect(limit.stats()).toMatchObject({ samples: 2, baselineMs: 10 });
    expect(() => bulkhead({ limit })).toThrow('another bulkhead already uses');
  });

  it('composes: a retry outside the bulkhead gets in on its second attempt, after retryAfterMs', async () => {
    const clock = new FakeClock();
    const pool = bulkhead({ limit: 1, clock });
    const policy = compose(retry({ attempts: 2, backoff: () => 1, clock }), pool);
    const slow = () => new Promise((resolve) => clock.setTimeout(() => resolve(0), 10));
    const learn = pool.execute(slow);
    await clock.advance(10);
    await learn;
    const blocker = pool.execute(slow);
    const call = policy.execute(() => 'through');
    await clock.advance(10);
    await expect(call).resolves.toBe('through');
    await blocker;
  });
});

describe('bulkhead options', () => {
  it.each([
    [{}, 'option "limit" must be a whole number from 1 to 1000000 or an adaptiveLimit(); got undefined'],
    [{ limit: 0 }, 'option "limit" must be a whole number from 1 to 1000000; got 0 (number)'],
    [{ limit: 1.5 }, 'option "limit" must be a whole number'],
    [{ limit: '3' }, 'or an adaptiveLimit(); got "3" (string)'],
    [{ limit: 1, queue: -1 }, 'option "queue" must be a whole number from 0 to 1000000; got -1 (number)'],
    [{ limit: 1, queue: 1, queueTimeoutMs: 0 }, 'option "queueTimeoutMs" must be a number of milliseconds'],
    [{ limit: 1, queueTimeoutMs: 10 }, 'option "queueTimeoutMs" needs a queue'],
    [{ limit: 1, name: '' }, 'option "name" must be a string'],
    [{ limit: 1, clock: {} }, 'option "clock" must be a Clock'],
    [
      { limit: 1, size: 3 },
      'unknown option "size"; valid options are "limit", "queue", "queueTimeoutMs", "name", "clock"',
    ],
  ])('refuses %j', (options, message) => {
    expect(() => bulkhead(options as never)).toThrow(message);
  });

  it('refuses a missing or non-object options', () => {
    expect(() => bulkhead(undefined as never)).toThrow('bulkhead: options { limit } are required');
    expect(() => bulkhead(3 as never)).toThrow('bulkhead: options must be an object; got 3 (number)');
  });

  it.each([
    [{ min: 0 }, 'option "min" must be a whole number from 1 to 1000000; got 0 (number)'],
    [{ min: 5, max: 4 }, 'option "max" (4) must be at least "min" (5)'],
    [{ initial: 50, max: 10 }, 'option "initial" (50) must be from "min" (1) to "max" (10)'],
    [{ tolerance: 0.9 }, 'option "tolerance" must be a number from 1 to 10; got 0.9 (number)'],
    [{ smoothing: 0 }, 'option "smoothing" must be a number above 0 up to 1; got 0 (number)'],
    [{ alpha: 3 }, 'unknown option "alpha"'],
  ])('adaptiveLimit refuses %j', (options, message) => {
    expect(() => adaptiveLimit(options as never)).toThrow(message);
  });

  it('adaptiveLimit defaults: initial 20, min 1, max 1000; initial follows a higher min', () => {
    const a = adaptiveLimit();
    expect([a.current, a.min, a.max]).toEqual([20, 1, 1000]);
    expect(adaptiveLimit({ min: 30 }).current).toBe(30);
    expect(adaptiveLimit({ max: 5 }).current).toBe(5);
    expect(() => a.record({ durationMs: -1, inflight: 1 })).toThrow('"durationMs" must be a finite number >= 0');
    expect(() => a.record({ durationMs: 1, inflight: 0 })).toThrow('"inflight" must be a whole number >= 1');
  });
});
