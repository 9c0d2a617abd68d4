/**
 * Inside compose, the built-in policies share the innermost timed call's promise (core/gate.ts):
 * the breaker is told of the outcome before it settles and a retry takes its failure over. The
 * same policies nested by hand (each `execute` reacting to the promise inside it) are the
 * reference: for any schedule of attempt outcomes, both give the same answers, the same breaker
 * counts and states, the same retry events, at the same times.
 */
import { compose, PermanentError, type Policy, RetryableError } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { constant, retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

type Outcome = 'ok' | 'retryable' | 'permanent' | 'hang' | 'late-ok' | 'sync-ok' | 'sync-throw';
interface Call {
  readonly schedule: readonly Outcome[];
  readonly gapMs: number;
  /** The caller aborts this long after the call starts (0: at once, after `execute` returned). */
  readonly abortAfterMs: number | null;
}

function parts(clock: FakeClock) {
  const r = retry({ attempts: 3, backoff: constant(50), clock });
  const b = circuitBreaker({ trip: consecutiveFailures(3), openMs: 500, clock });
  const t = timeout({ ms: 100, clock });
  const log: string[] = [];
  r.on('retry', ({ attempt }) => log.push(`retry ${attempt} @${clock.now()}`));
  r.on('giveUp', ({ reason }) => log.push(`giveUp ${reason} @${clock.now()}`));
  b.on('stateChange', ({ to }) => log.push(`${to} @${clock.now()}`));
  return { r, b, t, log };
}

/** The work of one call: attempt n behaves as `schedule[n - 1]` (then succeeds). */
function work(schedule: readonly Outcome[], clock: FakeClock, seen: string[]) {
  let n = 0;
  return ({ signal }: { signal: AbortSignal }) => {
    const outcome = schedule[n++] ?? 'ok';
    seen.push(`${outcome} @${clock.now()}`);
    signal.addEventListener('abort', () => seen.push(`aborted @${clock.now()}`));
    switch (outcome) {
      case 'ok':
        return Promise.resolve(n);
      case 'sync-ok':
        return n;
      case 'sync-throw':
        throw new RetryableError('sync');
      case 'retryable':
        return Promise.reject(new RetryableError(`attempt ${n}`));
      case 'permanent':
        return Promise.reject(new PermanentError(`attempt ${n}`));
      case 'hang':
        return new Promise<number>(() => {});
      case 'late-ok':
        return new Promise<number>((resolve) => clock.setTimeout(() => resolve(n), 60));
    }
  };
}

async function run(policy: Policy, calls: readonly Call[], clock: FakeClock) {
  const answers: string[] = [];
  const seen: string[] = [];
  for (const { schedule, gapMs, abortAfterMs } of calls) {
    // Time between calls lets an open breaker go half-open, so probes run through the pipeline too.
    await clock.advance(gapMs);
    const caller = abortAfterMs === null ? undefined : new AbortController();
    const call = policy.execute(work(schedule, clock, seen), caller && { signal: caller.signal }).then(
      (value) => `value ${String(value)} @${clock.now()}`,
      (err: unknown) => `${(err as Error).name}: ${(err as Error).message} @${clock.now()}`,
    );
    if (caller !== undefined) {
      const abort = () => caller.abort(new Error(`caller gave up @${clock.now()}`));
      if (abortAfterMs === 0) abort();
      else clock.setTimeout(abort, abortAfterMs as number);
    }
    await clock.runAll();
    answers.push(await call);
  }
  return { answers, seen };
}

const outcome = fc.constantFrom<Outcome>('ok', 'retryable', 'permanent', 'hang', 'late-ok', 'sync-ok', 'sync-throw');
const call = fc.record({
  schedule: fc.array(outcome, { maxLength: 4 }),
  gapMs: fc.constantFrom(0, 10, 600),
  abortAfterMs: fc.constantFrom(null, null, 0, 30, 120),
});

describe('compose shares one promise between retry, breaker and timeout', () => {
  it('behaves exactly as the same policies nested by hand, for any schedule of outcomes', async () => {
    let probed = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 8 }), async (calls) => {
        const clockA = new FakeClock();
        const a = parts(clockA);
        const composed = compose(a.r, a.b, a.t);
        const clockB = new FakeClock();
        const b = parts(clockB);
        const byHand: Policy = {
          execute: (fn, options) => b.r.execute((c1) => b.b.execute((c2) => b.t.execute(fn, c2), c1), options),
        };
        const got = await run(composed, calls, clockA);
        const want = await run(byHand, calls, clockB);
        expect(got).toEqual(want);
        expect(a.log).toEqual(b.log);
        const { shared: _a, ...statsA } = a.b.stats();
        const { shared: _b, ...statsB } = b.b.stats();
        expect(statsA).toEqual(statsB);
        expect(clockA.pendingTimers).toBe(0);
        if (a.log.some((line) => line.startsWith('half-open'))) probed++;
      }),
      { numRuns: 150 },
    );
    // The schedules reached the breaker's other states too, not only its closed fast path.
    expect(probed).toBeGreaterThan(0);
  });

  it('a breaker outside the retry counts the retried outcome, not the first attempt', async () => {
    const clock = new FakeClock();
    const b = circuitBreaker({ trip: consecutiveFailures(1), clock });
    const policy = compose(b, retry({ attempts: 2, backoff: constant(10), clock }), timeout({ ms: 100, clock }));
    let n = 0;
    const call = policy.execute(() => (++n === 1 ? Promise.reject(new RetryableError('once')) : Promise.resolve('ok')));
    await clock.runAll();
    expect(await call).toBe('ok');
    // One failure would have opened it (consecutiveFailures(1)): it saw only the success.
    expect(b.state).toBe('closed');
    expect(b.stats().calls).toBe(1);
  });

  it('two breakers around one timeout both count each attempt', async () => {
    const clock = new FakeClock();
    const outer = circuitBreaker({ trip: consecutiveFailures(5), clock });
    const inner = circuitBreaker({ trip: consecutiveFailures(5), clock });
    const policy = compose(outer, inner, timeout({ ms: 100, clock }));
    const failed = policy.execute(() => new Promise(() => {})).catch((e: unknown) => (e as Error).name);
    await clock.runAll();
    expect(await failed).toBe('TimeoutError');
    expect(await policy.execute(async () => 'fine')).toBe('fine');
    expect(outer.stats()).toMatchObject({ calls: 2, failures: 0 });
    expect(inner.stats()).toMatchObject({ calls: 2, failures: 0 });
  });

  it('a policy of your own between them still sees every attempt settle', async () => {
    const clock = new FakeClock();
    const settled: string[] = [];
    // Returns the very promise it got and watches it: it must see the first attempt fail.
    const watcher: Policy = {
      execute(fn, options) {
        const promise = Promise.resolve(fn({ signal: options?.signal ?? new AbortController().signal, attempt: 1 }));
        promise.then(
          () => settled.push('ok'),
          () => settled.push('failed'),
        );
        return promise;
      },
    };
    const policy = compose(retry({ attempts: 2, backoff: constant(10), clock }), watcher, timeout({ ms: 100, clock }));
    let n = 0;
    const call = policy.execute(() => (++n === 1 ? Promise.reject(new RetryableError('once')) : Promise.resolve('ok')));
    await clock.runAll();
    expect(await call).toBe('ok');
    expect(settled).toEqual(['failed', 'ok']);
  });

  it('the promise a caller gets is not taken over by a retry it passes through afterwards', async () => {
    const clock = new FakeClock();
    const inner = compose(circuitBreaker({ clock }), timeout({ ms: 100, clock }));
    const outer = retry({ attempts: 3, backoff: constant(10), clock });
    let n = 0;
    const seen: string[] = [];
    const call = outer.execute(() => {
      const p = inner.execute(() => (++n === 1 ? Promise.reject(new RetryableError('once')) : Promise.resolve('ok')));
      p.catch(() => seen.push('first failed'));
      return p;
    });
    await clock.runAll();
    expect(await call).toBe('ok');
    expect(seen).toEqual(['first failed']);
  });
});
