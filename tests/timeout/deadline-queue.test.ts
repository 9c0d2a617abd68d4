import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TimeoutError } from 'bulwark';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const never = () => new Promise<never>(() => {});

describe('the deadline queue shared by every timeout on one clock', () => {
  it('10,000 calls in flight arm one real timer, and all time out at their deadline', async () => {
    const clock = new FakeClock();
    const policy = timeout({ ms: 1000, clock });
    const signals: AbortSignal[] = [];
    const calls = Array.from({ length: 10_000 }, () =>
      policy
        .execute(({ signal }) => {
          signals.push(signal);
          return never();
        })
        .catch((err: unknown) => err),
    );
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(999);
    expect(signals.some((s) => s.aborted)).toBe(false);
    await clock.advance(1);
    const outcomes = await Promise.all(calls);
    expect(outcomes.every((e) => e instanceof TimeoutError)).toBe(true);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('calls spread over time share the one timer, re-armed for the next deadline as each falls due', async () => {
    const clock = new FakeClock();
    const policy = timeout({ ms: 100, clock });
    const settledAt: number[] = [];
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 5; i++) {
      calls.push(policy.execute(never).catch(() => settledAt.push(clock.now())));
      expect(clock.pendingTimers).toBe(1);
      await clock.advance(10);
    }
    await clock.advance(200);
    await Promise.all(calls);
    expect(settledAt).toEqual([100, 110, 120, 130, 140]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('policies with different limits on one clock fire in deadline order', async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    const slow = timeout({ ms: 300, clock, name: 'slow' });
    const fast = timeout({ ms: 100, clock, name: 'fast' });
    const mid = timeout({ ms: 200, clock, name: 'mid' });
    const calls = [slow, fast, mid].map((p) => p.execute(never).catch(() => order.push(`${p.name}@${clock.now()}`)));
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(300);
    await Promise.all(calls);
    expect(order).toEqual(['fast@100', 'mid@200', 'slow@300']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a call that succeeds leaves the others waiting on the same timer', async () => {
    const clock = new FakeClock();
    const policy = timeout({ ms: 100, clock });
    let finish: (value: string) => void = () => {};
    const first = policy.execute(() => new Promise<string>((resolve) => (finish = resolve)));
    await clock.advance(50);
    const second = policy.execute(never).catch((err: unknown) => err);
    finish('done');
    expect(await first).toBe('done');
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(99);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1);
    expect(await second).toBeInstanceOf(TimeoutError);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a listener on the work signal that starts another timed call is queued, not lost', async () => {
    const clock = new FakeClock();
    const policy = timeout({ ms: 10, clock });
    let followUp: Promise<unknown> | undefined;
    const first = policy
      .execute(({ signal }) => {
        signal.addEventListener('abort', () => {
          followUp = policy.execute(never).catch((err: unknown) => err);
        });
        return never();
      })
      .catch((err: unknown) => err);
    await clock.advance(10);
    expect(await first).toBeInstanceOf(TimeoutError);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(10);
    expect(await followUp).toBeInstanceOf(TimeoutError);
    expect(clock.pendingTimers).toBe(0);
  });

  it('the longest limit arms a timer no longer than a timer can hold, and still fires on time', async () => {
    const clock = new FakeClock(0.1);
    const delays: number[] = [];
    const spy = {
      now: () => clock.now(),
      setTimeout: (cb: () => void, ms: number) => {
        delays.push(ms);
        return clock.setTimeout(cb, ms);
      },
      clearTimeout: (h: unknown) => clock.clearTimeout(h),
    };
    const max = 2 ** 31 - 1;
    const call = timeout({ ms: max, clock: spy })
      .execute(never)
      .catch((err: unknown) => err);
    expect(Math.max(...delays)).toBeLessThanOrEqual(max);
    await clock.advance(max - 1);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(1);
    expect(await call).toBeInstanceOf(TimeoutError);
    expect(clock.pendingTimers).toBe(0);
  });

  /** One step of a random schedule. */
  type Step =
    | { readonly op: 'call'; readonly policy: number }
    | { readonly op: 'succeed' | 'fail' | 'abort'; readonly pick: number }
    | { readonly op: 'advance'; readonly ms: number };

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ op: fc.constant('call' as const), policy: fc.nat(2) }),
    fc.record({ op: fc.constantFrom('succeed' as const, 'fail' as const, 'abort' as const), pick: fc.nat(50) }),
    fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 120 }) }),
  );

  interface Tracked {
    readonly deadline: number;
    readonly controller: AbortController;
    readonly finish: (ok: boolean) => void;
    readonly signal: () => AbortSignal;
    /** What the model says happened, and when. */
    expected?: { outcome: 'value' | 'error' | 'timeout' | 'aborted'; at: number };
    /** What the policy did, and when; `count` catches a second settlement. */
    seen?: { outcome: string; at: number; count: number };
  }

  it('any schedule of calls, successes, failures, aborts and clock moves: each call settles once, at the right time, and the queue is empty when idle', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 3, maxLength: 3 }),
        fc.array(step, { maxLength: 40 }),
        async (limits, steps) => {
          const clock = new FakeClock();
          const policies = limits.map((ms) => timeout({ ms, clock }));
          const calls: Tracked[] = [];
          const open = () => calls.filter((c) => c.expected === undefined);
          const expire = () => {
            // The model: any call still open at or past its deadline timed out at the deadline.
            for (const c of open()) if (c.deadline <= clock.now()) c.expected = { outcome: 'timeout', at: c.deadline };
          };
          for (const s of steps) {
            if (s.op === 'call') {
              const ms = limits[s.policy] as number;
              const controller = new AbortController();
              let settle: (ok: boolean) => void = () => {};
              let signal: AbortSignal | undefined;
              const tracked: Tracked = {
                deadline: clock.now() + ms,
                controller,
                finish: (ok) => settle(ok),
                signal: () => signal as AbortSignal,
              };
              const record = (outcome: string) => {
                tracked.seen = { outcome, at: clock.now(), count: (tracked.seen?.count ?? 0) + 1 };
              };
              (policies[s.policy] as ReturnType<typeof timeout>)
                .execute(
                  (ctx) => {
                    signal = ctx.signal;
                    return new Promise<string>((resolve, reject) => {
                      settle = (ok) => (ok ? resolve('v') : reject(new Error('work failed')));
                    });
                  },
                  { signal: controller.signal },
                )
                .then(
                  () => record('value'),
                  (err: unknown) =>
                    record(
                      err instanceof TimeoutError
                        ? 'timeout'
                        : (err as Error).message === 'work failed'
                          ? 'error'
                          : (err as Error).message === 'caller left'
                            ? 'aborted'
                            : 'other',
                    ),
                );
              calls.push(tracked);
            } else if (s.op === 'advance') {
              // Move in unit steps so the model sees each deadline at its exact time.
              for (let i = 0; i < s.ms; i++) {
                await clock.advance(1);
                expire();
              }
            } else {
              const live = open();
              const target = live[s.pick % Math.max(1, live.length)];
              if (target !== undefined) {
                if (s.op === 'abort') {
                  target.controller.abort(new Error('caller left'));
                  target.expected = { outcome: 'aborted', at: clock.now() };
                } else {
                  target.finish(s.op === 'succeed');
                  target.expected = { outcome: s.op === 'succeed' ? 'value' : 'error', at: clock.now() };
                }
              }
            }
            await clock.advance(0);
            // One real timer while anything waits, none when nothing does.
            expect(clock.pendingTimers).toBe(open().length > 0 ? 1 : 0);
          }
          // Let every remaining call time out.
          for (let i = 0; i <= 100 && open().length > 0; i++) {
            await clock.advance(1);
            expire();
          }
          await clock.advance(0);
          for (const c of calls) {
            expect(c.seen).toEqual({ ...c.expected, count: 1 });
            // The work's signal aborts on a timeout or a caller's abort, never after an outcome.
            expect(c.signal().aborted).toBe(c.expected?.outcome === 'timeout' || c.expected?.outcome === 'aborted');
          }
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('on the system clock, the one timer lingers through idle moments but never keeps the process alive', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const program = [
      "import { timeout } from 'bulwark/timeout';",
      'const limit = timeout(60_000);',
      'for (let i = 0; i < 3; i++) await limit.execute(async () => i);',
      "console.log('done');",
    ].join('\n');
    const started = performance.now();
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--experimental-transform-types',
          '--no-warnings',
          '--import',
          './tests/demo/from-source.mjs',
          '--input-type=module-typescript',
          '-e',
          program,
        ],
        { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, out }));
    });
    expect(out.trim()).toBe('done');
    expect(code).toBe(0);
    // Far less than the 60 s limit whose timer was still armed when the program ended.
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
