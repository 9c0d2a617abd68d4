import { compose } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { createHealthChecker, eventLoopDelayCheck, heapCheck, policyCheck } from 'bulwark/health';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const signal = new AbortController().signal;

describe('ready-made checks', () => {
  it('eventLoopDelayCheck: liveness, measurement delay, p99 in ms; warns and fails above its thresholds', async () => {
    const check = eventLoopDelayCheck({ warnMs: 20, failMs: 60, resolutionMs: 5 });
    try {
      expect(check.defaults).toEqual({ groups: ['liveness'], measurement: 'delay' });
      const calm = await check(signal);
      expect(calm).toMatchObject({ status: 'pass', observedUnit: 'ms' });
      // Let the monitor take a sample after the reset (its first delta after a reset is dropped),
      // block the loop for ~100 ms, then let it sample the block.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const end = performance.now() + 100;
      while (performance.now() < end) {}
      await new Promise((resolve) => setTimeout(resolve, 15));
      const blocked = await check(signal);
      expect(blocked).toMatchObject({ status: 'fail', observedUnit: 'ms' });
      expect((blocked as { observedValue: number }).observedValue).toBeGreaterThan(60);
      expect((blocked as { output: string }).output).toMatch(/^event loop p99 delay .* ms > 60 ms$/);
    } finally {
      check.close();
    }
    expect(() => eventLoopDelayCheck({ warnMs: 100, failMs: 50 })).toThrow(/"failMs" \(50\) must be at least "warnMs"/);
    expect(() => eventLoopDelayCheck({ warn: 1 } as never)).toThrow(/unknown option "warn"/);
  });

  it('eventLoopDelayCheck registers as a liveness check with its own key', async () => {
    const clock = new FakeClock();
    const checker = createHealthChecker({ clock });
    const check = eventLoopDelayCheck();
    checker.register('eventloop', check);
    checker.start();
    await clock.advance(0);
    expect(Object.keys(checker.status('liveness').checks)).toEqual(['eventloop']);
    expect(checker.status('liveness').checks.eventloop).toMatchObject({ status: 'pass', measurement: 'delay' });
    expect(checker.status('readiness').checks).toEqual({});
    await checker.stop();
    check.close();
  });

  it('heapCheck: percent of the heap limit, warn and fail above the ratios', async () => {
    let used = 50;
    const check = heapCheck({
      heapStatistics: () => ({ used_heap_size: used * 1048576, heap_size_limit: 100 * 1048576 }),
    });
    expect(check.defaults).toEqual({ measurement: 'utilization' });
    expect(await check(signal)).toEqual({ status: 'pass', observedValue: 50, observedUnit: 'percent' });
    used = 90;
    expect(await check(signal)).toEqual({
      status: 'warn',
      output: 'heap 90 MB of 100 MB',
      observedValue: 90,
      observedUnit: 'percent',
    });
    used = 97;
    expect(await check(signal)).toMatchObject({ status: 'fail', observedValue: 97 });
    const real = await heapCheck()(signal);
    expect(real).toMatchObject({ observedUnit: 'percent' });
    expect(() => heapCheck({ warnRatio: 1.5 })).toThrow(/"warnRatio" must be a number above 0 and at most 1/);
    expect(() => heapCheck({ warnRatio: 0.9, failRatio: 0.8 })).toThrow(/"failRatio" \(0.8\) must be at least/);
  });

  it('policyCheck runs the work through the policy with the check signal', async () => {
    let seen: AbortSignal | undefined;
    const check = policyCheck(timeout(1000), ({ signal }) => {
      seen = signal;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    const controller = new AbortController();
    const pending = check(controller.signal);
    expect(seen?.aborted).toBe(false);
    controller.abort(new Error('check timed out'));
    await expect(pending).rejects.toThrow('check timed out');
    expect(seen?.aborted).toBe(true);
    expect(await policyCheck(timeout(1000), async () => 'anything')(signal)).toBeUndefined();
    expect(await policyCheck(timeout(1000), () => ({ status: 'warn', output: 'degraded' }))(signal)).toEqual({
      status: 'warn',
      output: 'degraded',
    });
    await expect(
      policyCheck(timeout(1000), () => {
        throw new Error('down');
      })(signal),
    ).rejects.toThrow('down');
    expect(() => policyCheck({} as never, async () => {})).toThrow(/policy must be a policy/);
    expect(() => policyCheck(timeout(1), 'x' as never)).toThrow(/work must be a function/);
  });

  it('policyCheck: an open breaker (alone or inside compose) fails the check without calling the dependency', async () => {
    const clock = new FakeClock();
    const breaker = circuitBreaker({ name: 'payments', clock, trip: consecutiveFailures(2), openMs: 10_000 });
    let calls = 0;
    let up = false;
    const ping = async () => {
      calls++;
      if (!up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    };
    const checker = createHealthChecker({ clock, random: () => 0.5, intervalMs: 1000, timeoutMs: 500 });
    const policy = compose(timeout({ ms: 400, clock }), breaker);
    checker.register('payments', policyCheck(policy, ping));
    checker.start();
    await clock.advance(3000);
    // Failing pings report the dependency down, but never count toward tripping the breaker.
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().failures).toBe(0);
    expect(checker.status().checks.payments?.status).toBe('fail');
    // Real traffic trips it; from then on the check fails at once without calling.
    for (let i = 0; i < 2; i++) await policy.execute(ping).catch(() => {});
    expect(breaker.state).toBe('open');
    const before = calls;
    await clock.advance(5000);
    expect(calls).toBe(before);
    expect(checker.status().checks.payments).toMatchObject({
      status: 'fail',
      output: 'circuit breaker "payments" is open',
    });
    up = true;
    await clock.advance(6000); // open time over: the pings run again, around the breaker
    expect(calls).toBeGreaterThan(before);
    expect(checker.status().checks.payments?.status).toBe('pass');
    // The half-open probe slot was left to real traffic: the next real call probes and closes it.
    expect(breaker.state).toBe('half-open');
    await policy.execute(ping);
    expect(breaker.state).toBe('closed');
    const isolated = circuitBreaker({ name: 'held', clock });
    const release = isolated.isolate();
    expect(await policyCheck(isolated, ping)(signal)).toEqual({
      status: 'fail',
      output: 'circuit breaker "held" is open',
    });
    release();
    await checker.stop();
  });
});
