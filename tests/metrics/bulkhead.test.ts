import { compose } from 'bulwark';
import { adaptiveLimit, bulkhead } from 'bulwark/bulkhead';
import { createMetrics } from 'bulwark/metrics';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';
import { samples } from './exposition.ts';

failOnUnhandledRejections();

describe('metrics of a bulkhead', () => {
  it('shows running and waiting calls and the limit when scraped, and counts refusals by reason from zero', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const pool = bulkhead({ name: 'render', limit: 2, queue: 1, queueTimeoutMs: 100, clock });
    const stop = createMetrics({ registry }).observe(pool);
    expect(await samples(registry, 'bulwark_bulkhead_rejected_total')).toEqual([
      'bulwark_bulkhead_rejected_total{bulkhead="render",reason="full"} 0',
      'bulwark_bulkhead_rejected_total{bulkhead="render",reason="queue-timeout"} 0',
    ]);
    const slow = () => new Promise((resolve) => clock.setTimeout(() => resolve('ok'), 500));
    const running = [pool.execute(slow), pool.execute(slow)];
    const waiting = pool.execute(slow).catch(() => 'refused');
    const full = await pool.execute(slow).catch(() => 'refused');
    expect(full).toBe('refused');
    expect(await samples(registry, 'bulwark_bulkhead_active')).toEqual([
      'bulwark_bulkhead_active{bulkhead="render"} 2',
    ]);
    expect(await samples(registry, 'bulwark_bulkhead_queued')).toEqual([
      'bulwark_bulkhead_queued{bulkhead="render"} 1',
    ]);
    expect(await samples(registry, 'bulwark_bulkhead_limit')).toEqual(['bulwark_bulkhead_limit{bulkhead="render"} 2']);
    await clock.advance(100);
    expect(await waiting).toBe('refused');
    expect(await samples(registry, 'bulwark_bulkhead_rejected_total')).toEqual([
      'bulwark_bulkhead_rejected_total{bulkhead="render",reason="full"} 1',
      'bulwark_bulkhead_rejected_total{bulkhead="render",reason="queue-timeout"} 1',
    ]);
    expect(await samples(registry, 'bulwark_bulkhead_queued')).toEqual([
      'bulwark_bulkhead_queued{bulkhead="render"} 0',
    ]);
    await clock.advance(400);
    await Promise.all(running);
    stop();
    // Stopped: the gauges drop the bulkhead; the counters keep their history.
    expect(await samples(registry, 'bulwark_bulkhead_active')).toEqual([]);
    expect(await samples(registry, 'bulwark_bulkhead_rejected_total')).toHaveLength(2);
  });

  it('follows an adaptive limit over time, and finds a bulkhead inside a composition', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const limit = adaptiveLimit({ initial: 4, max: 100 });
    const pool = bulkhead({ name: 'search', limit, clock });
    createMetrics({ registry, labels: { service: 'shop' } }).observe(compose(pool, timeout({ ms: 1000, clock })));
    expect(await samples(registry, 'bulwark_bulkhead_limit')).toEqual([
      'bulwark_bulkhead_limit{service="shop",bulkhead="search"} 4',
    ]);
    // Calls as fast as unloaded, using the whole limit: it grows.
    for (let round = 0; round < 20; round++) {
      const n = limit.current;
      const calls = Array.from({ length: n }, () =>
        pool.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve(1), 10))),
      );
      await clock.advance(10);
      await Promise.all(calls);
    }
    const [line] = await samples(registry, 'bulwark_bulkhead_limit');
    expect(Number(line?.split(' ')[1])).toBeGreaterThan(10);
    expect(Number(line?.split(' ')[1])).toBe(limit.current);
  });

  it('two bulkheads of one name on one registry share their series: the gauges add up', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    const a = bulkhead({ name: 'db', limit: 1 });
    const b = bulkhead({ name: 'db', limit: 2 });
    metrics.observe(a);
    expect(() => metrics.observe(b)).not.toThrow();
    const text = await registry.metrics();
    expect(text).toContain('bulwark_bulkhead_limit{bulkhead="db"} 3');
  });
});
