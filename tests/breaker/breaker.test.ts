import { CircuitOpenError, exponential, PermanentError } from 'bulwark';
import {
  type CircuitBreaker,
  type CircuitBreakerSnapshot,
  circuitBreaker,
  consecutiveFailures,
  failureRate,
} from 'bulwark/breaker';
import { FakeClock } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const down = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const ok = async () => 'ok';
const fail = async () => {
  throw down();
};

async function failTimes(breaker: CircuitBreaker, n: number) {
  for (let i = 0; i < n; i++) await breaker.execute(fail).catch(() => {});
}

function changes(breaker: CircuitBreaker) {
  const seen: string[] = [];
  breaker.on('stateChange', ({ from, to, reason }) => seen.push(`${from}>${to}:${reason}`));
  return seen;
}

describe('circuit breaker', () => {
  it('opens after 5 failures in a row by default, then fails fast without calling fn', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock });
    const seen = changes(breaker);
    await failTimes(breaker, 4);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    let called = false;
    const error = await breaker
      .execute(() => {
        called = true;
      })
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ breaker: 'default', retryAfterMs: 60_000, code: 'ERR_CIRCUIT_OPEN' });
    expect(seen).toEqual(['closed>open:tripped']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a success resets the run of failures', async () => {
    const breaker = circuitBreaker({ clock: new FakeClock(), trip: consecutiveFailures(3) });
    await failTimes(breaker, 2);
    await breaker.execute(ok);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('moves to half-open by time alone, with no timer, and reports retryAfterMs counting down', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock, trip: consecutiveFailures(1), openMs: 1000 });
    const seen = changes(breaker);
    await failTimes(breaker, 1);
    await clock.advance(400);
    expect(breaker.stats().retryAfterMs).toBe(600);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ retryAfterMs: 600 });
    await clock.advance(600);
    expect(clock.pendingTimers).toBe(0);
    expect(breaker.state).toBe('half-open');
    expect(seen).toEqual(['closed>open:tripped', 'open>half-open:timer']);
  });

  it('closes after a successful probe; reopens after a failed one', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock, trip: consecutiveFailures(1), openMs: 1000 });
    const seen = changes(breaker);
    await failTimes(breaker, 1);
    await clock.advance(1000);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    await clock.advance(1000);
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(seen).toEqual([
      'closed>open:tripped',
      'open>half-open:timer',
      'half-open>open:probe-failed',
      'open>half-open:timer',
      'half-open>closed:probe-succeeded',
    ]);
  });

  it('lets exactly `probes` calls through in half-open and rejects the others at once', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock, trip: consecutiveFailures(1), openMs: 10, halfOpen: { probes: 2 } });
    await failTimes(breaker, 1);
    await clock.advance(10);
    const release: Array<() => void> = [];
    let reached = 0;
    const calls = Array.from({ length: 100 }, () =>
      breaker
        .execute(
          () =>
            new Promise<string>((resolve) => {
              reached++;
              release.push(() => resolve('probe ok'));
            }),
        )
        .catch((e: unknown) => e),
    );
    expect(reached).toBe(2);
    const settled = await Promise.race([Promise.all(calls.slice(2)), clock.advance(0).then(() => 'timeout')]);
    expect(Array.isArray(settled)).toBe(true);
    for (const rejected of settled as unknown[]) {
      expect(rejected).toBeInstanceOf(CircuitOpenError);
      expect(rejected).toMatchObject({
        retryAfterMs: 0,
        message: 'circuit breaker "default" is half-open and its probe is running',
      });
    }
    for (const r of release) r();
    expect((await Promise.all(calls.slice(0, 2))).every((v) => v === 'probe ok')).toBe(true);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().rejected).toBe(98);
  });

  it('needs successesToClose probe successes to close', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      clock,
      trip: consecutiveFailures(1),
      openMs: 10,
      halfOpen: { probes: 1, successesToClose: 3 },
    });
    await failTimes(breaker, 1);
    await clock.advance(10);
    await breaker.execute(ok);
    await breaker.execute(ok);
    expect(breaker.state).toBe('half-open');
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
  });

  it('a probe that hangs past probeTimeoutMs counts as failed, so half-open never hangs', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      clock,
      trip: consecutiveFailures(1),
      openMs: 1000,
      halfOpen: { probeTimeoutMs: 5000 },
    });
    const seen = changes(breaker);
    await failTimes(breaker, 1);
    await clock.advance(1000);
    let resolveProbe: (v: string) => void = () => {};
    const probe = breaker.execute(() => new Promise<string>((r) => (resolveProbe = r)));
    await clock.advance(4999);
    expect(breaker.state).toBe('half-open');
    await clock.advance(1);
    expect(breaker.state).toBe('open');
    await clock.advance(1000);
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
    resolveProbe('late');
    expect(await probe).toBe('late');
    expect(breaker.state).toBe('closed');
    expect(seen).toContain('half-open>open:probe-timeout');
  });

  it('lets permanent errors and caller aborts pass through without counting', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock, trip: consecutiveFailures(2) });
    const ignored: unknown[] = [];
    breaker.on('ignored', ({ error }) => ignored.push(error));
    const notFound = Object.assign(new Error('Not Found'), { status: 404 });
    for (let i = 0; i < 5; i++) {
      await expect(breaker.execute(() => Promise.reject(notFound))).rejects.toBe(notFound);
      await expect(breaker.execute(() => Promise.reject(new PermanentError('bad')))).rejects.toThrow('bad');
    }
    const controller = new AbortController();
    const call = breaker.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
      { signal: controller.signal },
    );
    controller.abort(new Error('caller left'));
    await expect(call).rejects.toThrow('caller left');
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().failures).toBe(0);
    expect(ignored).toHaveLength(11);
  });

  it('an ignored call reports how long it took, like success and failure do', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock });
    const durations: number[] = [];
    breaker.on('ignored', ({ durationMs }) => durations.push(durationMs));
    const call = breaker.execute(async () => {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 40));
      throw new PermanentError('bad');
    });
    const settled = call.catch(() => {});
    await clock.advance(40);
    await settled;
    expect(durations).toEqual([40]);
  });

  it('counts returned values as failures with isResultFailure', async () => {
    const breaker = circuitBreaker({
      clock: new FakeClock(),
      trip: consecutiveFailures(2),
      isResultFailure: (res) => (res as { status: number }).status >= 500,
    });
    const failures: unknown[] = [];
    breaker.on('failure', ({ error }) => failures.push(error));
    expect(await breaker.execute(async () => ({ status: 503 }))).toEqual({ status: 503 });
    await breaker.execute(async () => ({ status: 502 }));
    expect(breaker.state).toBe('open');
    expect(failures).toEqual([{ status: 503 }, { status: 502 }]);
  });

  it('trips on a failure rate over the last n calls, once minimumCalls is reached', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      clock,
      trip: failureRate({ threshold: 0.5, minimumCalls: 4, window: { calls: 10 } }),
    });
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('closed'); // 3 calls < minimumCalls, though all failed
    breaker.reset();
    await failTimes(breaker, 1);
    for (let i = 0; i < 9; i++) await breaker.execute(ok);
    expect(breaker.stats()).toMatchObject({ calls: 10, failures: 1, failureRate: 0.1 });
    await failTimes(breaker, 4); // the first replaces the old failure: 4 of the last 10 failed
    expect(breaker.stats()).toMatchObject({ calls: 10, failures: 4, state: 'closed' });
    await failTimes(breaker, 1); // 5 of 10 reaches the threshold
    expect(breaker.state).toBe('open');
  });

  it('trips on a failure rate over the last ms, and old buckets expire', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      clock,
      trip: failureRate({ threshold: 0.5, minimumCalls: 4, window: { ms: 10_000, buckets: 10 } }),
    });
    await failTimes(breaker, 3);
    await clock.advance(10_000); // those three leave the window
    expect(breaker.stats().calls).toBe(0);
    await breaker.execute(ok);
    await breaker.execute(ok);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('trips on the slow-call rate', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      clock,
      trip: failureRate({ threshold: 1, minimumCalls: 2, window: { calls: 4 } }),
      slowCall: { thresholdMs: 100, rate: 0.6 },
    });
    const slowOk = () => new Promise<string>((resolve) => clock.setTimeout(() => resolve('slow'), 150));
    const first = breaker.execute(slowOk);
    await clock.advance(150);
    await first;
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed'); // 1 slow of 2 is 0.5, under 0.6
    const second = breaker.execute(slowOk);
    await clock.advance(150);
    await second;
    expect(breaker.state).toBe('open'); // 2 slow of 3 is 0.67
  });

  it('waits longer after each reopening with openBackoff', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({
      clock,
      trip: consecutiveFailures(1),
      openBackoff: exponential({ initialMs: 1000, factor: 2, maxMs: 8000, jitter: 'none' }),
    });
    const openTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      await failTimes(breaker, 1);
      openTimes.push(breaker.stats().retryAfterMs);
      await clock.advance(openTimes.at(-1) ?? 0);
    }
    expect(openTimes).toEqual([1000, 2000, 4000, 8000, 8000]);
    await breaker.execute(ok);
    await failTimes(breaker, 1);
    expect(breaker.stats().retryAfterMs).toBe(1000);
  });

  it('isolate holds it open until every isolation is released, then probes', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock });
    const seen = changes(breaker);
    const releaseA = breaker.isolate();
    const releaseB = breaker.isolate();
    expect(breaker.state).toBe('isolated');
    await expect(breaker.execute(ok)).rejects.toThrow('circuit breaker "default" is isolated');
    releaseA();
    releaseA();
    expect(breaker.state).toBe('isolated');
    releaseB();
    expect(breaker.state).toBe('half-open');
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    expect(seen).toEqual([
      'closed>isolated:isolated',
      'isolated>half-open:released',
      'half-open>closed:probe-succeeded',
    ]);
  });

  it('reset closes it and clears its window', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock, trip: consecutiveFailures(2) });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
    breaker.reset();
    expect(breaker.stats()).toMatchObject({ state: 'closed', calls: 0, failures: 0, rejected: 0 });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('saves and restores its state: an open breaker stays open for the time it had left', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ name: 'db', clock, trip: consecutiveFailures(1), openMs: 30_000 });
    await failTimes(breaker, 1);
    await clock.advance(10_000);
    const saved = JSON.parse(JSON.stringify(breaker)) as CircuitBreakerSnapshot;
    expect(saved).toEqual({
      format: 'bulwark.circuit-breaker',
      version: 1,
      name: 'db',
      state: 'open',
      openRemainingMs: 20_000,
      consecutiveOpens: 1,
    });
    const clock2 = new FakeClock(5_000_000);
    const restored = circuitBreaker({ name: 'db', clock: clock2, openMs: 30_000, initialState: saved });
    expect(restored.state).toBe('open');
    await clock2.advance(19_999);
    expect(restored.state).toBe('open');
    await clock2.advance(1);
    expect(restored.state).toBe('half-open');
  });

  it('refuses a snapshot of another version or shape, whole', () => {
    const good: CircuitBreakerSnapshot = {
      format: 'bulwark.circuit-breaker',
      version: 1,
      name: 'db',
      state: 'open',
      openRemainingMs: 5,
      consecutiveOpens: 1,
    };
    const cases: Array<[unknown, string]> = [
      [{ ...good, version: 2 }, 'version is 2 (number), this bulwark reads version 1'],
      [{ ...good, format: 'x' }, 'format is "x" (string), expected "bulwark.circuit-breaker"'],
      [{ ...good, name: 'cache' }, 'it belongs to breaker "cache" (string), not "db"'],
      [{ ...good, state: 'broken' }, 'state is "broken" (string)'],
      [{ ...good, openRemainingMs: -1 }, 'openRemainingMs is -1 (number)'],
      [{ ...good, consecutiveOpens: 1.5 }, 'consecutiveOpens is 1.5 (number)'],
      [{ ...good, extra: true }, 'unknown field "extra"'],
      ['open', 'expected an object from breaker.toJSON(), got "open" (string)'],
    ];
    for (const [snapshot, why] of cases) {
      expect(() => circuitBreaker({ name: 'db', initialState: snapshot as CircuitBreakerSnapshot })).toThrow(why);
    }
    expect(circuitBreaker({ name: 'db', initialState: good }).state).toBe('open');
  });

  it('ignores listeners that throw', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ clock, trip: consecutiveFailures(1), openMs: 10 });
    for (const event of ['stateChange', 'success', 'failure', 'rejected', 'ignored'] as const) {
      breaker.on(event, () => {
        throw new Error('listener bug');
      });
    }
    expect(await breaker.execute(ok)).toBe('ok');
    await failTimes(breaker, 1);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    await clock.advance(10);
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('passes the caller signal and attempt to fn, and gives it a signal of its own otherwise', async () => {
    const breaker = circuitBreaker({ clock: new FakeClock() });
    const controller = new AbortController();
    const seen = await breaker.execute((ctx) => ctx, { signal: controller.signal, attempt: 2 });
    expect(seen.signal).toBe(controller.signal);
    expect(seen.attempt).toBe(2);
    const own = await breaker.execute((ctx) => ctx.signal);
    expect(own).toBeInstanceOf(AbortSignal);
    expect(own.aborted).toBe(false);
  });

  it('refuses bad options at construction, naming them', () => {
    const cases: Array<[unknown, string | RegExp]> = [
      [
        { trip: 5 },
        'circuitBreaker: option "trip" must be consecutiveFailures(n) or failureRate({ ... }); got 5 (number)',
      ],
      [{ openMs: -1 }, /option "openMs" must be a number of milliseconds from 0 up to 2147483647; got -1/],
      [{ openMs: 10, openBackoff: () => 5 }, 'circuitBreaker: give "openMs" or "openBackoff", not both'],
      [
        { halfOpen: { probes: 0 } },
        'option "halfOpen.probes" must be a whole number from 1 to 1000000; got 0 (number)',
      ],
      [{ halfOpen: { probe: 1 } }, 'circuitBreaker: halfOpen: unknown option "probe"'],
      [{ slowCall: { thresholdMs: 100, rate: 0.5 } }, 'option "slowCall" needs trip: failureRate'],
      [{ isFailure: 'yes' }, /option "isFailure" must be a function \(error\) => boolean; got "yes"/],
      [{ name: 42 }, /option "name" must be a string/],
      [{ timeout: 5 }, /unknown option "timeout"/],
    ];
    for (const [options, message] of cases) expect(() => circuitBreaker(options as never)).toThrow(message);
    expect(() => consecutiveFailures(0)).toThrow('consecutiveFailures: n must be a whole number >= 1; got 0 (number)');
    expect(() => failureRate({ threshold: 1.5, window: { calls: 10 } })).toThrow(
      'failureRate: option "threshold" must be a number above 0 and at most 1; got 1.5 (number)',
    );
    expect(() => failureRate({ threshold: 0.5, minimumCalls: 20, window: { calls: 10 } })).toThrow(
      'cannot exceed window.calls (10)',
    );
    expect(() => failureRate({ threshold: 0.5, window: {} as never })).toThrow('it has neither calls nor ms');
  });
});

describe('a success that trips a failure rate at its threshold', () => {
  it('opens for openMs, on the lean path that reads no clock (found by the configure property)', async () => {
    const { circuitBreaker, failureRate } = await import('bulwark/breaker');
    const { FakeClock } = await import('bulwark/testing');
    const clock = new FakeClock(1000);
    const breaker = circuitBreaker({
      trip: failureRate({ threshold: 0.5, minimumCalls: 2, window: { calls: 4 } }),
      openMs: 300,
      clock,
    });
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => {});
    await breaker.execute(() => 1); // 1 failure in 2 calls: the rate is at its threshold
    expect(breaker.state).toBe('open');
    const refusal = await breaker.execute(() => 1).catch((err: { retryAfterMs: number }) => err);
    expect((refusal as { retryAfterMs: number }).retryAfterMs).toBe(300);
    await clock.advance(300);
    expect(breaker.state).toBe('half-open');
  });
});
