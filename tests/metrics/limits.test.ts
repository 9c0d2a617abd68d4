import { compose } from 'bulwark';
import { fallback } from 'bulwark/fallback';
import { hedge } from 'bulwark/hedge';
import { createMetrics } from 'bulwark/metrics';
import { rateLimit } from 'bulwark/rate-limit';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';
import { samples } from './exposition.ts';

failOnUnhandledRejections();

describe('metrics of a rate limiter', () => {
  it('counts permits granted and rejected, and shows the calls waiting', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const limiter = rateLimit({ name: 'github', limit: 2, windowMs: 1000, maxWaitMs: 500, clock });
    const stop = createMetrics({ registry, labels: { service: 'shop' } }).observe(limiter);
    expect(await samples(registry, 'bulwark_rate_limit_permits_total')).toEqual([
      'bulwark_rate_limit_permits_total{service="shop",policy="github",outcome="granted"} 0',
      'bulwark_rate_limit_permits_total{service="shop",policy="github",outcome="rejected"} 0',
    ]);
    await limiter.execute(() => 1);
    await limiter.execute(() => 2);
    const waiting = limiter.execute(() => 3);
    await expect(limiter.execute(() => 4)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
    expect(await samples(registry, 'bulwark_rate_limit_waiting')).toEqual([
      'bulwark_rate_limit_waiting{service="shop",policy="github"} 1',
    ]);
    await clock.advance(500);
    await waiting;
    expect(await samples(registry, 'bulwark_rate_limit_permits_total')).toEqual([
      'bulwark_rate_limit_permits_total{service="shop",policy="github",outcome="granted"} 3',
      'bulwark_rate_limit_permits_total{service="shop",policy="github",outcome="rejected"} 1',
    ]);
    expect(await samples(registry, 'bulwark_rate_limit_waiting')).toEqual([
      'bulwark_rate_limit_waiting{service="shop",policy="github"} 0',
    ]);
    stop();
    expect(await samples(registry, 'bulwark_rate_limit_waiting')).toEqual([]);
  });
});

describe('metrics of a fallback and a hedge', () => {
  it('counts fallbacks used, hedges started and hedges won', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    const orZero = fallback({ name: 'prices', value: 0 });
    const search = hedge({ name: 'search', delayMs: 100, clock });
    metrics.observe(orZero);
    metrics.observe(search);

    await orZero.execute(() => Promise.reject(new Error('down')));
    await orZero.execute(() => 7);
    const slowFirst: Array<(v: string) => void> = [];
    const call = search.execute(() => new Promise<string>((resolve) => slowFirst.push(resolve)));
    await clock.advance(100);
    slowFirst[1]?.('hedge');
    await expect(call).resolves.toBe('hedge');

    expect(await samples(registry, 'bulwark_fallbacks_total')).toEqual(['bulwark_fallbacks_total{policy="prices"} 1']);
    expect(await samples(registry, 'bulwark_hedges_total')).toEqual(['bulwark_hedges_total{policy="search"} 1']);
    expect(await samples(registry, 'bulwark_hedges_won_total')).toEqual([
      'bulwark_hedges_won_total{policy="search"} 1',
    ]);
  });

  it('observes a rate limiter and a hedge inside a composed policy, keyed on their kind', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const policy = compose(
      rateLimit({ name: 'catalog', limit: 1, windowMs: 1000, clock }),
      hedge({ name: 'catalog', delayMs: 50, clock }),
      timeout({ ms: 500, name: 'catalog', clock }),
    );
    createMetrics({ registry }).observe(policy);
    await policy.execute(() => 'ok');
    await expect(policy.execute(() => 'ok')).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
    expect(await samples(registry, 'bulwark_rate_limit_permits_total')).toEqual([
      'bulwark_rate_limit_permits_total{policy="catalog",outcome="granted"} 1',
      'bulwark_rate_limit_permits_total{policy="catalog",outcome="rejected"} 1',
    ]);
    expect(await samples(registry, 'bulwark_hedges_total')).toEqual(['bulwark_hedges_total{policy="catalog"} 0']);
  });

  it('two rate limiters of one name on one registry are refused, as for every kind', () => {
    const metrics = createMetrics({ registry: new Registry() });
    metrics.observe(rateLimit({ name: 'same', limit: 1, windowMs: 1000 }));
    expect(() => metrics.observe(rateLimit({ name: 'same', limit: 1, windowMs: 1000 }))).toThrow(
      'another rate limiter named "same" is already observed',
    );
  });
});
