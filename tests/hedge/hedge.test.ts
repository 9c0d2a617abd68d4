import { hedge } from 'bulwark/hedge';
import { FakeClock } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

/** Work whose attempts settle only when the test says so. */
function controlled<T>() {
  const attempts: Array<{
    signal: AbortSignal;
    startedAt: number;
    resolve: (v: T) => void;
    reject: (e: unknown) => void;
  }> = [];
  const work =
    (clock: FakeClock) =>
    ({ signal }: { signal: AbortSignal }) =>
      new Promise<T>((resolve, reject) => {
        attempts.push({ signal, startedAt: clock.now(), resolve, reject });
      });
  return { attempts, work };
}

describe('hedge', () => {
  it('a fast first attempt starts no hedge and leaves no timer', async () => {
    const clock = new FakeClock();
    const policy = hedge({ delayMs: 100, clock });
    await expect(policy.execute(async () => 'fast')).resolves.toBe('fast');
    await expect(policy.execute(() => 'sync')).resolves.toBe('sync');
    expect(clock.pendingTimers).toBe(0);
    expect(policy.stats()).toEqual({ calls: 2, hedges: 0, won: 0 });
  });

  it('after delayMs a second attempt starts; the first success wins and the loser signal aborts', async () => {
    const clock = new FakeClock();
    const policy = hedge({ name: 'search', delayMs: 100, clock });
    const events: unknown[] = [];
    policy.on('hedge', (e) => events.push(['hedge', e]));
    policy.on('won', (e) => events.push(['won', e]));
    const { attempts, work } = controlled<string>();
    const call = policy.execute(work(clock));
    await clock.advance(99);
    expect(attempts).toHaveLength(1);
    await clock.advance(1);
    expect(attempts.map((a) => a.startedAt)).toEqual([0, 100]);
    attempts[1]?.resolve('second');
    await expect(call).resolves.toBe('second');
    expect(attempts[0]?.signal.aborted).toBe(true);
    expect(attempts[0]?.signal.reason).toMatchObject({ name: 'AbortError' });
    expect(attempts[1]?.signal.aborted).toBe(false);
    // The loser settling late changes nothing and leaks no rejection.
    attempts[0]?.reject(attempts[0].signal.reason);
    await clock.runAll();
    expect(clock.pendingTimers).toBe(0);
    expect(events).toEqual([
      ['hedge', { name: 'search', attempt: 2 }],
      ['won', { name: 'search', attempt: 2 }],
    ]);
    expect(policy.stats()).toEqual({ calls: 1, hedges: 1, won: 1 });
  });

  it('the first attempt may still win after the hedge started', async () => {
    const clock = new FakeClock();
    const policy = hedge({ delayMs: 50, maxAttempts: 3, clock });
    const { attempts, work } = controlled<number>();
    const call = policy.execute(work(clock));
    await clock.advance(50);
    attempts[0]?.resolve(1);
    await expect(call).resolves.toBe(1);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]?.signal.aborted).toBe(true);
    await clock.advance(1000);
    expect(attempts).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);
    expect(policy.stats()).toEqual({ calls: 1, hedges: 1, won: 0 });
  });

  it('when all fail, rejects with the first error', async () => {
    const clock = new FakeClock();
    const policy = hedge({ delayMs: 10, maxAttempts: 3, clock });
    const { attempts, work } = controlled<string>();
    const call = policy.execute(work(clock));
    await clock.advance(20);
    expect(attempts).toHaveLength(3);
    attempts[2]?.reject(new Error('third'));
    attempts[0]?.reject(new Error('first'));
    attempts[1]?.reject(new Error('second'));
    await expect(call).rejects.toThrow('third');
    expect(clock.pendingTimers).toBe(0);
  });

  it('a failure before the delay starts no hedge: the call fails with it at once (retry is for failures)', async () => {
    const clock = new FakeClock();
    const policy = hedge({ delayMs: 100, clock });
    let calls = 0;
    await expect(
      policy.execute(() => {
        calls++;
        throw new Error('sync failure');
      }),
    ).rejects.toThrow('sync failure');
    await expect(policy.execute(() => Promise.reject(new Error('async failure')))).rejects.toThrow('async failure');
    expect(calls).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an attempt that reads its signal only after it lost finds it aborted', async () => {
    const clock = new FakeClock();
    const policy = hedge({ delayMs: 10, clock });
    const gates: Array<() => void> = [];
    const readLate: boolean[] = [];
    const call = policy.execute(async (context) => {
      const i = gates.length;
      await new Promise<void>((resolve) => gates.push(resolve));
      readLate.push(context.signal.aborted);
      return i;
    });
    await clock.advance(10);
    gates[1]?.();
    await expect(call).resolves.toBe(1);
    gates[0]?.();
    await clock.advance(0);
    expect(readLate).toEqual([false, true]);
  });

  it('a hedge that fails while the first is still running waits for the first', async () => {
    const clock = new FakeClock();
    const policy = hedge({ delayMs: 10, clock });
    const { attempts, work } = controlled<string>();
    const call = policy.execute(work(clock));
    await clock.advance(10);
    attempts[1]?.reject(new Error('hedge failed'));
    await clock.advance(0);
    attempts[0]?.resolve('first, slowly');
    await expect(call).resolves.toBe('first, slowly');
  });

  it("the caller's abort stops every attempt at once with the caller's reason", async () => {
    const clock = new FakeClock();
    const policy = hedge({ delayMs: 10, maxAttempts: 3, clock });
    const { attempts, work } = controlled<string>();
    const controller = new AbortController();
    const call = policy.execute(work(clock), { signal: controller.signal });
    await clock.advance(10);
    const reason = new Error('user navigated away');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(attempts.map((a) => a.signal.reason)).toEqual([reason, reason]);
    expect(clock.pendingTimers).toBe(0);
    await expect(policy.execute(work(clock), { signal: controller.signal })).rejects.toBe(reason);
    expect(attempts).toHaveLength(2);
  });

  it('delayMs 0 races maxAttempts attempts at once', async () => {
    const clock = new FakeClock();
    const policy = hedge({ delayMs: 0, maxAttempts: 3, clock });
    const { attempts, work } = controlled<number>();
    const call = policy.execute(work(clock));
    await clock.advance(0);
    expect(attempts).toHaveLength(3);
    attempts[2]?.resolve(3);
    await expect(call).resolves.toBe(3);
    expect(attempts.map((a) => a.signal.aborted)).toEqual([true, true, false]);
  });

  it('over any schedule of outcomes: one winner at most, losers aborted, the winner never aborted, no timer left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 400 }), ok: fc.boolean() }), {
          minLength: 4,
          maxLength: 4,
        }),
        async (maxAttempts, plan) => {
          const clock = new FakeClock();
          const policy = hedge({ delayMs: 100, maxAttempts, clock });
          const started: AbortSignal[] = [];
          const call = policy
            .execute(({ signal }) => {
              const i = started.length;
              started.push(signal);
              const step = plan[i] as { at: number; ok: boolean };
              return new Promise<number>((resolve, reject) => {
                clock.setTimeout(() => (step.ok ? resolve(i) : reject(new Error(`fail ${i}`))), step.at);
              });
            })
            .then(
              (winner) => ({ winner }),
              (e: unknown) => ({ error: (e as Error).message }),
            );
          await clock.runAll();
          const result = await call;
          expect(started.length).toBeLessThanOrEqual(maxAttempts);
          if ('winner' in result) {
            expect(plan[result.winner]?.ok).toBe(true);
            expect(started.map((signal) => signal.aborted)).toEqual(started.map((_, i) => i !== result.winner));
          } else {
            // Every started attempt failed, and the first to fail is the error.
            const failures = started
              .map((_, i) => ({ i, end: i * 100 + (plan[i]?.at ?? 0) }))
              .sort((a, b) => a.end - b.end || a.i - b.i);
            expect(started.every((_, i) => plan[i]?.ok === false || started[i]?.aborted)).toBe(true);
            expect(result.error).toBe(`fail ${failures[0]?.i}`);
          }
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    [undefined, 'hedge: options { delayMs } are required'],
    [{}, 'hedge: option "delayMs" must be a number of milliseconds from 0 up to 2147483647; got undefined'],
    [{ delayMs: 10, maxAttempts: 0 }, 'option "maxAttempts" must be a whole number from 1 to 10; got 0 (number)'],
    [{ delayMs: 10, maxAttempts: 11 }, 'option "maxAttempts" must be a whole number from 1 to 10'],
    [{ delayMs: 10, attempts: 2 }, 'hedge: unknown option "attempts"; valid options are "delayMs", "maxAttempts"'],
    [{ delayMs: 10, clock: Date }, 'option "clock" must be a Clock'],
  ])('refuses bad options %j at construction', (options, message) => {
    expect(() => hedge(options as never)).toThrow(message);
  });
});

describe('hedge: many calls in flight share one timer', () => {
  interface Plan {
    readonly startAt: number;
    readonly attempts: ReadonlyArray<{ readonly at: number; readonly ok: boolean }>;
  }

  /** What one call should do, on its own: when each attempt starts, and how it settles. */
  function model(plan: Plan, delayMs: number, maxAttempts: number) {
    const starts: number[] = [plan.startAt];
    const ended = new Set<number>();
    for (;;) {
      const running = starts
        .map((s, i) => ({ i, end: s + (plan.attempts[i]?.at ?? 0) }))
        .filter(({ i }) => !ended.has(i))
        .sort((a, b) => a.end - b.end || a.i - b.i);
      const nextLaunch =
        starts.length < maxAttempts ? plan.startAt + starts.length * delayMs : Number.POSITIVE_INFINITY;
      const first = running[0];
      if (first === undefined) throw new Error('unreachable: a call always has an attempt running');
      if (nextLaunch < first.end) {
        starts.push(nextLaunch);
        continue;
      }
      if (plan.attempts[first.i]?.ok) return { starts, outcome: `won by ${first.i}`, at: first.end };
      ended.add(first.i);
      if (ended.size === starts.length) {
        const firstFailure = [...ended][0] as number;
        return { starts, outcome: `failed with ${firstFailure}`, at: first.end };
      }
    }
  }

  it('over any mix of concurrent calls: each attempt starts exactly delayMs after the one before, the outcome matches a call run alone, and no timer is left', async () => {
    const attempt = fc.record({ at: fc.integer({ min: 0, max: 200 }).map((n) => n * 2 + 1), ok: fc.boolean() });
    const plan = fc.record({
      startAt: fc.integer({ min: 0, max: 150 }).map((n) => n * 2),
      attempts: fc.array(attempt, { minLength: 3, maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(plan, { minLength: 1, maxLength: 12 }),
        async (maxAttempts, plans) => {
          const delayMs = 100;
          const clock = new FakeClock();
          const policy = hedge({ delayMs, maxAttempts, clock });
          const starts = plans.map(() => [] as number[]);
          const results = plans.map(() => undefined as undefined | { outcome: string; at: number });
          for (const [c, p] of plans.entries()) {
            clock.setTimeout(() => {
              void policy
                .execute(({ signal }) => {
                  const i = starts[c]?.length ?? 0;
                  starts[c]?.push(clock.now());
                  const step = p.attempts[i] as { at: number; ok: boolean };
                  return new Promise<number>((resolve, reject) => {
                    const handle = clock.setTimeout(() => (step.ok ? resolve(i) : reject(i)), step.at);
                    // A loser stops its work when its signal aborts, as fetch would.
                    signal.addEventListener('abort', () => clock.clearTimeout(handle), { once: true });
                  });
                })
                .then(
                  (i) => {
                    results[c] = { outcome: `won by ${i}`, at: clock.now() };
                  },
                  (i: unknown) => {
                    results[c] = { outcome: `failed with ${String(i)}`, at: clock.now() };
                  },
                );
            }, p.startAt);
          }
          await clock.runAll();
          for (const [c, p] of plans.entries()) {
            const expected = model(p, delayMs, maxAttempts);
            expect({ starts: starts[c], ...results[c] }, `call ${c}`).toEqual(expected);
          }
          expect(clock.pendingTimers).toBe(0);
          expect(policy.stats().calls).toBe(plans.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
