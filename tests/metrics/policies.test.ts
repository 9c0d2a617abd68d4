import { compose, PermanentError } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { createMetrics } from 'bulwark/metrics';
import { constant, retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';
import { histogramSamples, samples } from './exposition.ts';

failOnUnhandledRejections();

const transient = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

/** Work that fails with the given errors in turn (each after 10 ms on the clock), then returns 'ok'. */
function flaky(clock: FakeClock, ...errors: unknown[]) {
  let calls = 0;
  return async () => {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 10));
    calls++;
    if (calls <= errors.length) throw errors[calls - 1];
    return 'ok';
  };
}

describe('metrics of a retry policy', () => {
  it('counts attempts by outcome and give-ups by reason, and times whole calls', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const policy = retry({ name: 'users', clock, attempts: 3, backoff: constant(100) });
    createMetrics({ registry }).observe(policy);

    const first = policy.execute(flaky(clock, transient()));
    await clock.advance(10 + 100 + 10);
    expect(await first).toBe('ok');
    const second = policy.execute(flaky(clock, transient(), transient(), transient())).catch((e: unknown) => e);
    await clock.runAll();
    await second;
    const third = policy.execute(flaky(clock, new PermanentError('no such user'))).catch((e: unknown) => e);
    await clock.runAll();
    await third;

    expect(await samples(registry, 'bulwark_retry_attempts_total')).toEqual([
      'bulwark_retry_attempts_total{policy="users",outcome="failure"} 5',
      'bulwark_retry_attempts_total{policy="users",outcome="success"} 1',
    ]);
    expect(await samples(registry, 'bulwark_retry_giveups_total')).toEqual([
      'bulwark_retry_giveups_total{policy="users",reason="aborted"} 0',
      'bulwark_retry_giveups_total{policy="users",reason="budget"} 0',
      'bulwark_retry_giveups_total{policy="users",reason="deadline"} 0',
      'bulwark_retry_giveups_total{policy="users",reason="exhausted"} 1',
      'bulwark_retry_giveups_total{policy="users",reason="permanent"} 1',
      'bulwark_retry_giveups_total{policy="users",reason="rejected"} 0',
    ]);
    const lines = await histogramSamples(registry, 'bulwark_call_duration_seconds');
    expect(lines).toContain('bulwark_call_duration_seconds_sum{policy="users",outcome="success"} 0.12');
    expect(lines).toContain('bulwark_call_duration_seconds_count{policy="users",outcome="failure"} 2');
    expect(lines).toContain('bulwark_call_duration_seconds_sum{policy="users",outcome="failure"} 0.24');
  });

  it('a caller abort is a give-up with reason aborted, and no attempt outcome', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const policy = retry({ name: 'users', clock, attempts: 3, backoff: constant(100) });
    createMetrics({ registry }).observe(policy);
    const controller = new AbortController();
    const call = policy.execute(flaky(clock, transient()), { signal: controller.signal }).catch((e: unknown) => e);
    await clock.advance(50); // attempt 1 failed at 10 ms; now waiting
    controller.abort(new Error('caller left'));
    await call;
    expect(await samples(registry, 'bulwark_retry_attempts_total')).toEqual([
      'bulwark_retry_attempts_total{policy="users",outcome="failure"} 1',
      'bulwark_retry_attempts_total{policy="users",outcome="success"} 0',
    ]);
    expect(await samples(registry, 'bulwark_retry_giveups_total')).toContain(
      'bulwark_retry_giveups_total{policy="users",reason="aborted"} 1',
    );
  });
});

describe('metrics of a timeout policy', () => {
  it('counts the calls it cut off, by name', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const limit = timeout({ ms: 50, name: 'search', clock });
    createMetrics({ registry }).observe(limit);
    expect(await samples(registry, 'bulwark_timeouts_total')).toEqual(['bulwark_timeouts_total{policy="search"} 0']);
    const slow = () => new Promise<string>((resolve) => clock.setTimeout(() => resolve('late'), 80));
    for (let i = 0; i < 2; i++) {
      const call = limit.execute(slow).catch((e: unknown) => e);
      await clock.advance(80);
      await call;
    }
    const quick = limit.execute(async () => 'ok');
    await quick;
    expect(await samples(registry, 'bulwark_timeouts_total')).toEqual(['bulwark_timeouts_total{policy="search"} 2']);
  });
});

describe('metrics of a composed policy', () => {
  it('observes every part inside, nested compositions included, and stops them all', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const breaker = circuitBreaker({ name: 'db', clock });
    const perAttempt = timeout({ ms: 50, name: 'db-attempt', clock });
    const policy = compose(
      timeout({ ms: 1000, name: 'db-total', clock }),
      compose(retry({ name: 'db-retry', clock, backoff: constant(10) }), breaker, perAttempt),
    );
    const stop = createMetrics({ registry, labels: { service: 'orders' } }).observe(policy);
    const hang = () => new Promise<string>((resolve) => clock.setTimeout(() => resolve('late'), 500));
    const call = policy.execute(hang).catch((e: unknown) => e);
    await clock.runAll();
    await call;
    expect(await samples(registry, 'bulwark_timeouts_total')).toEqual([
      'bulwark_timeouts_total{service="orders",policy="db-attempt"} 3',
      'bulwark_timeouts_total{service="orders",policy="db-total"} 0',
    ]);
    expect(await samples(registry, 'bulwark_retry_giveups_total')).toContain(
      'bulwark_retry_giveups_total{service="orders",policy="db-retry",reason="exhausted"} 1',
    );
    expect(await samples(registry, 'bulwark_circuit_breaker_calls_total')).toContain(
      'bulwark_circuit_breaker_calls_total{service="orders",breaker="db",outcome="failure"} 3',
    );
    stop();
    expect(() => createMetrics({ registry, labels: { service: 'orders' } }).observe(breaker)).not.toThrow();
  });
});
