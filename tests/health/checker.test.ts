import { createHealthChecker, type HealthChangeEvent, type HealthChecker } from 'bulwark/health';
import { FakeClock } from 'bulwark/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const live: Array<[HealthChecker, FakeClock]> = [];
afterEach(async () => {
  for (const [checker, clock] of live.splice(0)) {
    const stopped = checker.stop();
    await clock.runAll(); // the timeouts of runs still in flight
    await stopped;
  }
});

/** A checker on a fake clock with no jitter (random 0.5 = exactly the interval). */
function setup(options: Parameters<typeof createHealthChecker>[0] = {}) {
  const clock = new FakeClock();
  const checker = createHealthChecker({ clock, random: () => 0.5, intervalMs: 1000, timeoutMs: 500, ...options });
  live.push([checker, clock]);
  const events: string[] = [];
  checker.on('change', (e: HealthChangeEvent) => events.push(`${e.name}:${e.from}>${e.to}`));
  return { clock, checker, events };
}

/** A check whose outcome the test sets, counting its runs. */
function scripted(initial: 'pass' | 'warn' | 'fail' = 'pass') {
  const state = { next: initial as 'pass' | 'warn' | 'fail', runs: 0 };
  const check = async () => {
    state.runs++;
    if (state.next === 'fail') throw new Error('connection refused');
    return { status: state.next };
  };
  return { state, check };
}

describe('health checker on a fake clock', () => {
  it('runs every check at once on start, then each on its own interval', async () => {
    const { clock, checker } = setup();
    const a = scripted();
    const b = scripted();
    checker.register('a', a.check);
    checker.register('b', b.check, { intervalMs: 3000 });
    checker.start();
    expect([a.state.runs, b.state.runs]).toEqual([1, 1]);
    await clock.advance(999);
    expect([a.state.runs, b.state.runs]).toEqual([1, 1]);
    await clock.advance(1);
    expect([a.state.runs, b.state.runs]).toEqual([2, 1]);
    await clock.advance(2000);
    expect([a.state.runs, b.state.runs]).toEqual([4, 2]);
  });

  it('jitters each wait by at most 10% of the interval', async () => {
    const waits: number[] = [];
    for (const r of [0, 0.999999]) {
      const clock = new FakeClock();
      const checker = createHealthChecker({ clock, random: () => r, intervalMs: 1000 });
      live.push([checker, clock]);
      let runs = 0;
      checker.register('a', () => {
        runs++;
      });
      checker.start();
      let t = 0;
      while (runs < 2) {
        await clock.advance(1);
        t++;
      }
      waits.push(t);
    }
    expect(waits).toEqual([900, 1100]);
  });

  it('before the first run completes: readiness and startup fail, liveness passes', async () => {
    const { clock, checker } = setup();
    let release: () => void = () => {};
    checker.register('db', () => new Promise<void>((resolve) => (release = resolve)), { timeoutMs: 800 });
    checker.register('boot', () => new Promise<void>(() => {}), { groups: ['startup'] });
    checker.register('loop', () => new Promise<void>(() => {}), { groups: ['liveness'] });
    expect(checker.status('readiness').status).toBe('fail');
    expect(checker.status('readiness').checks.db).toMatchObject({
      status: 'fail',
      output: 'not checked yet',
      lastRunAt: null,
      durationMs: null,
    });
    expect(checker.status('startup').status).toBe('fail');
    expect(checker.status('liveness').status).toBe('pass');
    expect(checker.status('liveness').checks.loop?.status).toBe('pass');
    checker.start();
    await clock.advance(100);
    expect(checker.status('readiness').status).toBe('fail');
    release();
    await clock.advance(0);
    expect(checker.status('readiness').status).toBe('pass');
    expect(checker.status('readiness').checks.db).toMatchObject({ status: 'pass', durationMs: 100 });
    expect(checker.status('readiness').checks.db?.lastRunAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(checker.status('liveness').status).toBe('pass');
  });

  it('groups keep the views apart; every check is in the all view', async () => {
    const { clock, checker } = setup();
    checker.register('db', async () => {});
    checker.register('loop', async () => {}, { groups: ['liveness'] });
    checker.register('migrations', async () => {}, { groups: ['startup', 'readiness'] });
    checker.start();
    await clock.advance(0);
    expect(Object.keys(checker.status('liveness').checks)).toEqual(['loop']);
    expect(Object.keys(checker.status('readiness').checks)).toEqual(['db', 'migrations']);
    expect(Object.keys(checker.status('startup').checks)).toEqual(['migrations']);
    expect(Object.keys(checker.status().checks)).toEqual(['db', 'loop', 'migrations']);
  });

  it('a check overrunning its timeout fails, its signal is aborted, and it blocks no other check', async () => {
    const { clock, checker } = setup();
    let seen: AbortSignal | undefined;
    checker.register('slow', (signal) => {
      seen = signal;
      return new Promise<void>(() => {});
    });
    const fast = scripted();
    checker.register('fast', fast.check);
    checker.start();
    await clock.advance(0);
    expect(checker.status().checks.fast?.status).toBe('pass');
    await clock.advance(499);
    expect(seen?.aborted).toBe(false);
    await clock.advance(1);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toMatchObject({ name: 'TimeoutError', timeoutMs: 500 });
    expect(checker.status().checks.slow).toMatchObject({
      status: 'fail',
      output: 'timed out after 500 ms',
      durationMs: 500,
      consecutiveFailures: 1,
    });
    expect(checker.status().status).toBe('fail');
    await clock.advance(3000);
    expect(fast.state.runs).toBe(4);
  });

  it('two runs of one check never overlap: a run still going when its next turn comes is skipped', async () => {
    const { clock, checker } = setup({ timeoutMs: 2500 });
    let running = 0;
    let maxRunning = 0;
    let starts = 0;
    checker.register('slow', async () => {
      starts++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 1500));
      running--;
    });
    checker.start();
    await clock.advance(6000);
    expect(maxRunning).toBe(1);
    // runs start at 0 and 2000 (1000 skipped: still running), 4000, 6000
    expect(starts).toBe(4);
    expect(checker.status().checks.slow?.status).toBe('pass');
  });

  it('a check that ignores its aborted signal is not started again until it settles, then goes stale', async () => {
    const { clock, checker } = setup({ staleAfterMs: 5000 });
    let starts = 0;
    let settle: () => void = () => {};
    checker.register('stuck', () => {
      starts++;
      return new Promise<void>((resolve) => (settle = resolve));
    });
    checker.start();
    await clock.advance(0);
    settle();
    await clock.advance(0);
    expect(checker.status().checks.stuck?.status).toBe('pass');
    await clock.advance(1000); // second run starts and never settles
    await clock.advance(500); // it times out
    expect(checker.status().checks.stuck?.output).toBe('timed out after 500 ms');
    await clock.advance(10_000);
    expect(starts).toBe(2);
    expect(checker.status().checks.stuck).toMatchObject({
      status: 'fail',
      output: 'stale: no result for more than 5000 ms',
    });
    settle();
    await clock.advance(1000);
    expect(starts).toBe(3);
  });

  it('marks a result stale after staleAfterMs without any read, and recovers on the next result', async () => {
    const { clock, checker } = setup({ staleAfterMs: 4000, intervalMs: 1000, timeoutMs: 500 });
    let gate: Promise<void> | undefined;
    let open: () => void = () => {};
    checker.register('db', () => gate);
    checker.start();
    await clock.advance(0);
    expect(checker.status().status).toBe('pass');
    // From now on every run hangs and ignores its signal: no new result arrives.
    gate = new Promise<void>((resolve) => (open = resolve));
    await clock.advance(1000);
    await clock.advance(500); // timed out: fail
    expect(checker.status().checks.db?.output).toBe('timed out after 500 ms');
    await clock.advance(3999); // the timeout result is a result: staleness counts from it
    expect(checker.status().checks.db?.output).toBe('timed out after 500 ms');
    await clock.advance(1);
    // No read did this: a stale timer on the clock rebuilt the snapshot, which status() only returns.
    const stale = checker.status();
    expect(stale.checks.db?.output).toBe('stale: no result for more than 4000 ms');
    expect(checker.status()).toBe(stale);
    open();
    gate = undefined;
    await clock.advance(1000);
    expect(checker.status().checks.db).toMatchObject({ status: 'pass' });
    expect(checker.status().checks.db?.output).toBeUndefined();
  });

  it('failureThreshold and successThreshold keep a flapping check from flapping the probe', async () => {
    const { clock, checker, events } = setup();
    const s = scripted();
    checker.register('db', s.check, { failureThreshold: 3, successThreshold: 2 });
    checker.start();
    await clock.advance(0);
    expect(checker.status().status).toBe('pass');
    s.state.next = 'fail';
    await clock.advance(1000);
    await clock.advance(1000);
    expect(checker.status().checks.db).toMatchObject({ status: 'pass', consecutiveFailures: 2 });
    await clock.advance(1000);
    expect(checker.status().checks.db).toMatchObject({ status: 'fail', consecutiveFailures: 3 });
    s.state.next = 'pass';
    await clock.advance(1000);
    expect(checker.status().checks.db).toMatchObject({ status: 'fail', consecutiveFailures: 0 });
    s.state.next = 'fail';
    await clock.advance(1000);
    s.state.next = 'pass';
    await clock.advance(1000);
    expect(checker.status().checks.db?.status).toBe('fail');
    await clock.advance(1000);
    expect(checker.status().checks.db?.status).toBe('pass');
    expect(events.filter((e) => e.startsWith('db'))).toEqual(['db:fail>pass', 'db:pass>fail', 'db:fail>pass']);
  });

  it('the first result is taken as it is, thresholds apply after', async () => {
    const { clock, checker } = setup();
    checker.register('db', scripted('fail').check, { failureThreshold: 5 });
    checker.start();
    await clock.advance(0);
    expect(checker.status().checks.db?.status).toBe('fail');
  });

  it('a failing non-critical check makes the whole warn; a warning check too', async () => {
    const { clock, checker, events } = setup();
    const cache = scripted('fail');
    const db = scripted('pass');
    checker.register('cache', cache.check, { critical: false });
    checker.register('db', db.check);
    checker.start();
    await clock.advance(0);
    expect(checker.status()).toMatchObject({ status: 'warn', output: 'failing: cache' });
    expect(checker.status().checks.cache).toMatchObject({
      status: 'fail',
      output: 'connection refused',
      critical: false,
    });
    cache.state.next = 'pass';
    db.state.next = 'warn';
    await clock.advance(1000);
    expect(checker.status()).toMatchObject({ status: 'warn', output: 'warning: db' });
    db.state.next = 'fail';
    await clock.advance(1000);
    expect(checker.status()).toMatchObject({ status: 'fail', output: 'failing: db' });
    expect(events.filter((e) => e.startsWith('@all'))).toEqual([
      '@all:pass>warn', // cache registered: not run yet, not critical
      '@all:warn>fail', // db registered: not run yet, critical
      '@all:fail>warn', // db passes, cache fails
      '@all:warn>pass', // cache passes
      '@all:pass>warn', // db warns
      '@all:warn>fail', // db fails
    ]);
  });

  it('status() returns the same frozen object until a result changes', async () => {
    const { clock, checker } = setup();
    checker.register('db', async () => {});
    const first = checker.status();
    expect(checker.status()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.checks)).toBe(true);
    checker.start();
    await clock.advance(0);
    const second = checker.status();
    expect(second).not.toBe(first);
    expect(checker.status()).toBe(second);
    expect(() => checker.status('nope' as never)).toThrow(/group must be 'liveness', 'readiness', 'startup'/);
  });

  it('stop() ends the loop at once, aborting runs in flight, and leaves no timer', async () => {
    const { clock, checker } = setup();
    let signal: AbortSignal | undefined;
    let runs = 0;
    checker.register('db', (s) => {
      runs++;
      signal = s;
      return new Promise<void>(() => {});
    });
    checker.start();
    expect(checker.running).toBe(true);
    await checker.stop();
    expect(checker.running).toBe(false);
    expect(signal?.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(10_000);
    expect(runs).toBe(1);
  });

  it('stop() does not wait for the timeout of a check that never settles', async () => {
    const { clock, checker } = setup();
    checker.register('hang', () => new Promise<void>(() => {}));
    checker.start();
    await checker.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('a check registered after start runs at once; the returned function removes it', async () => {
    const { clock, checker } = setup();
    checker.start();
    const s = scripted();
    const remove = checker.register('late', s.check);
    expect(s.state.runs).toBe(1);
    await clock.advance(0);
    expect(checker.status().checks.late?.status).toBe('pass');
    remove();
    remove();
    expect(checker.status().checks.late).toBeUndefined();
    await clock.advance(5000);
    expect(s.state.runs).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('shutdown(): readiness fails at once, liveness stays, resolves after drainMs and stops', async () => {
    const { clock, checker, events } = setup();
    checker.register('db', async () => {});
    checker.register('loop', async () => {}, { groups: ['liveness'] });
    checker.start();
    await clock.advance(0);
    events.length = 0;
    let done = false;
    const draining = checker.shutdown({ drainMs: 3000 }).then(() => (done = true));
    expect(checker.shutdown()).toBe(checker.shutdown());
    expect(checker.draining).toBe(true);
    expect(checker.status('readiness')).toMatchObject({ status: 'fail', output: 'shutting down' });
    expect(checker.status('liveness').status).toBe('pass');
    expect(events).toEqual(['@readiness:pass>fail', '@all:pass>fail']);
    await clock.advance(2999);
    expect(done).toBe(false);
    expect(checker.running).toBe(true);
    await clock.advance(1);
    await draining;
    expect(checker.running).toBe(false);
    expect(checker.status('readiness').status).toBe('fail');
    expect(clock.pendingTimers).toBe(0);
  });

  it('logs status changes to the logger, redacted, and survives a throwing logger', async () => {
    const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
    const logger = {
      info: (m: string, f?: Record<string, unknown>) => lines.push(['info', m, f]),
      warn: (m: string, f?: Record<string, unknown>) => lines.push(['warn', m, f]),
    };
    const { clock, checker } = setup({ logger });
    const s = scripted();
    checker.register('db', async () => {
      if (s.state.next === 'fail') throw new Error('connect postgres://app:hunter22@db.internal:5432 failed');
    });
    checker.start();
    await clock.advance(0);
    s.state.next = 'fail';
    await clock.advance(1000);
    expect(lines).toEqual([
      ['info', 'health check "db": fail -> pass', { check: 'db', from: 'fail', to: 'pass' }],
      [
        'warn',
        'health check "db": pass -> fail',
        { check: 'db', from: 'pass', to: 'fail', output: 'connect postgres://app:[REDACTED]@db.internal:5432 failed' },
      ],
    ]);
    const { clock: c2, checker: broken } = setup({
      logger: {
        info: () => {
          throw new Error('logger down');
        },
        warn: () => {},
      },
    });
    broken.register('db', async () => {});
    broken.start();
    await c2.advance(0);
    expect(broken.status().status).toBe('pass');
  });

  it('a throwing listener does not stop the checker', async () => {
    const { clock, checker } = setup();
    checker.on('change', () => {
      throw new Error('listener bug');
    });
    checker.register('db', async () => {});
    checker.start();
    await clock.advance(0);
    expect(checker.status().status).toBe('pass');
  });
});
