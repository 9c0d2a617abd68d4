import { compose } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { createMetrics } from 'bulwark/metrics';
import { retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { Counter, Histogram, Registry, register } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { histogramSamples, samples } from './exposition.ts';

describe('createMetrics options', () => {
  it('refuses bad options at construction, naming the option and what is valid', () => {
    expect(() => createMetrics({ registry: {} as Registry })).toThrow(
      'createMetrics: option "registry" must be a prom-client Registry (new Registry(), or leave it unset for the global register); got object',
    );
    expect(() => createMetrics({ prefix: '1x' })).toThrow(/option "prefix" must be .*; got "1x" \(string\)/);
    expect(() => createMetrics({ labels: { 'bad-name': 'x' } })).toThrow(/"bad-name", which Prometheus refuses/);
    expect(() => createMetrics({ labels: { breaker: 'x' } })).toThrow(/"breaker", which bulwark's metrics use/);
    expect(() => createMetrics({ labels: { service: 1 as unknown as string } })).toThrow(
      'createMetrics: option "labels.service" must be a string; got 1 (number)',
    );
    expect(() => createMetrics({ registy: new Registry() } as never)).toThrow(
      'createMetrics: unknown option "registy"; valid options are "registry", "prefix", "labels"',
    );
    expect(() => createMetrics(null as never)).toThrow('createMetrics: options must be an object; got null');
  });

  it('uses the global register by default, and a prefix of your choice', async () => {
    const metrics = createMetrics({ prefix: 'bulwark_test_default_' });
    expect(metrics.registry).toBe(register);
    const stop = metrics.observe(timeout({ ms: 10, name: 'x' }));
    expect(await register.metrics()).toContain('bulwark_test_default_timeouts_total{policy="x"} 0');
    stop();
  });

  it('refuses what it cannot observe, and a composition with nothing it knows', () => {
    const metrics = createMetrics({ registry: new Registry() });
    expect(() => metrics.observe({} as never)).toThrow(
      'metrics.observe: expected a circuit breaker, a retry, timeout, rate-limit, fallback or hedge policy, a bulkhead, a composed policy, a health checker, a config watcher or a Redis store; got object',
    );
    expect(() => metrics.observe(compose())).toThrow(
      /holds no circuit breaker, retry, timeout, rate-limit or hedge policy or bulkhead/,
    );
  });
});

describe('observing twice', () => {
  it('observing the same thing twice counts it once, and it stops with the last stop', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    const clock = new FakeClock();
    const t = timeout({ ms: 10, name: 'db', clock });
    const stopFirst = metrics.observe(t);
    const stopAgain = metrics.observe(compose(t, circuitBreaker({ name: 'db' })));
    const fired = t.execute(() => new Promise(() => {})).catch(() => {});
    await clock.advance(10);
    await fired;
    expect(await samples(registry, 'bulwark_timeouts_total')).toEqual(['bulwark_timeouts_total{policy="db"} 1']);
    stopFirst();
    stopFirst(); // harmless
    expect(await samples(registry, 'bulwark_timeouts_total')).toEqual(['bulwark_timeouts_total{policy="db"} 1']);
    stopAgain();
  });

  it("the guides' code never throws: two unnamed timeouts, two breakers of one name share their series", async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    expect(() => metrics.observe(compose(timeout(10_000), retry(), timeout(2000)))).not.toThrow();
    const a = circuitBreaker({ name: 'db' });
    const b = circuitBreaker({ name: 'db' });
    metrics.observe(a);
    expect(() => metrics.observe(b)).not.toThrow();
    const release = b.isolate();
    await a.execute(() => 'ok');
    await b.execute(() => 'no').catch(() => {});
    expect(await samples(registry, 'bulwark_circuit_breaker_state')).toContain(
      'bulwark_circuit_breaker_state{breaker="db",state="isolated"} 1',
    );
    expect(await samples(registry, 'bulwark_circuit_breaker_calls_total')).toEqual(
      expect.arrayContaining([
        'bulwark_circuit_breaker_calls_total{breaker="db",outcome="success"} 1',
        'bulwark_circuit_breaker_calls_total{breaker="db",outcome="rejected"} 1',
      ]),
    );
    release();
  });

  it('a breaker and a retry policy of one name get a warning, not an error: their durations would mix', () => {
    const metrics = createMetrics({ registry: new Registry() });
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    metrics.observe(circuitBreaker({ name: 'mixed' }));
    expect(() => metrics.observe(retry({ name: 'mixed' }))).not.toThrow();
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/call_duration_seconds\{policy="mixed"\}/);
    expect(() => metrics.observe(retry({ name: 'mixed-retry' }))).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('the same name under other constant label values is another series, so it is allowed', () => {
    const registry = new Registry();
    createMetrics({ registry, labels: { service: 'a' } }).observe(circuitBreaker({ name: 'db' }));
    expect(() =>
      createMetrics({ registry, labels: { service: 'b' } }).observe(circuitBreaker({ name: 'db' })),
    ).not.toThrow();
  });
});

describe('createMetrics twice on one registry', () => {
  it('shares the metrics made the first time instead of failing with "already registered"', async () => {
    const registry = new Registry();
    createMetrics({ registry }).observe(timeout({ ms: 5, name: 'a' }));
    createMetrics({ registry }).observe(timeout({ ms: 5, name: 'b' }));
    expect(await samples(registry, 'bulwark_timeouts_total')).toEqual([
      'bulwark_timeouts_total{policy="a"} 0',
      'bulwark_timeouts_total{policy="b"} 0',
    ]);
  });

  it('other constant label names on the same prefix are an error that says what to do', () => {
    const registry = new Registry();
    createMetrics({ registry, labels: { service: 'a' } });
    expect(() => createMetrics({ registry, labels: { team: 'x' } })).toThrow(
      'createMetrics: the registry already has bulwark metrics with prefix "bulwark_" and constant labels [service]; got [team]. Use the same label names (values may differ), or another "prefix" or "registry"',
    );
    expect(() => createMetrics({ registry, prefix: 'other_', labels: { team: 'x' } })).not.toThrow();
  });

  it('a metric of the same name that bulwark did not make is an error naming it', () => {
    const registry = new Registry();
    new Counter({ name: 'bulwark_timeouts_total', help: 'mine', registers: [registry] });
    expect(() => createMetrics({ registry })).toThrow(
      'createMetrics: the registry already has metrics named bulwark_timeouts_total that bulwark/metrics did not make; pass another "prefix" or "registry", or remove them first',
    );
  });
});

/** The histogram lines prom-client's own observe() writes for these durations, numbers rounded. */
async function reference(durationsMs: readonly number[], digits: number): Promise<string[]> {
  const registry = new Registry();
  const h = new Histogram({
    name: 'bulwark_call_duration_seconds',
    help: 'x',
    labelNames: ['policy', 'outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  for (const ms of durationsMs) h.observe({ policy: 'timed', outcome: 'success' }, ms / 1000);
  return rounded(await histogramSamples(registry, 'bulwark_call_duration_seconds'), digits);
}

function rounded(lines: string[], digits: number): string[] {
  return lines.map((l) => l.replace(/ ([\d.e+-]+)$/, (_, v) => ` ${Number(v).toFixed(digits)}`));
}

/** A breaker observed on `registry` whose calls take exactly `durationsMs`, on a FakeClock. */
async function timedCalls(registry: Registry, durationsMs: readonly number[], prepare = () => {}, midway = -1) {
  const clock = new FakeClock();
  const timed = circuitBreaker({ name: 'timed', clock });
  createMetrics({ registry }).observe(timed);
  prepare();
  for (const ms of durationsMs) {
    const call = timed.execute(() => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)));
    await clock.advance(ms);
    await call;
    if (ms === midway) await registry.metrics(); // a scrape in the middle: later values add to the same series
  }
}

describe('the duration histogram', () => {
  it('writes out exactly what prom-client observe() of the same values gives', async () => {
    const durationsMs = [0, 0.5, 1, 1.5, 2.5, 7, 40, 99, 100, 250, 999, 1000, 4000, 29_000, 60_000, 90_000];
    const ours = new Registry();
    await timedCalls(ours, durationsMs, undefined, 250);
    expect(rounded(await histogramSamples(ours, 'bulwark_call_duration_seconds'), 9)).toEqual(
      await reference(durationsMs, 9),
    );
  });

  it('gives the same buckets and sum through public observe() when prom-client keeps series differently', async () => {
    const durationsMs = [0.5, 3, 3, 40, 250, 999, 4000, 90_000];
    const ours = new Registry();
    // A prom-client where zero() leaves no series record bulwark can find, as one that stores its
    // series another way would: the flush must go through the public observe() instead.
    await timedCalls(ours, durationsMs, () => {
      const histogram = ours.getSingleMetric('bulwark_call_duration_seconds') as unknown as { zero(): void };
      histogram.zero = () => {};
    });
    expect(rounded(await histogramSamples(ours, 'bulwark_call_duration_seconds'), 6)).toEqual(
      await reference(durationsMs, 6),
    );
  });
});
