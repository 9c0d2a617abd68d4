// bulwark/metrics observes a Redis store: whether its limits are shared, and its switches to local.
import { createMetrics } from 'bulwark/metrics';
import { redisStore } from 'bulwark/redis';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { ownRedis, redisUrl, testPrefix } from '../helpers/redis.js';
import { samples } from '../metrics/exposition.ts';

const url = redisUrl();

describe.skipIf(url === undefined)('metrics of a Redis store', () => {
  const server = ownRedis(6394);
  afterAll(() => server.stop());

  it('shows 1 while shared, 0 and a counted fallback once Redis is gone', async () => {
    await server.start();
    const client = new Redis(server.url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
    client.on('error', () => {});
    try {
      await client.ping();
      const prefix = testPrefix('metrics');
      const store = redisStore({ client, prefix, commandTimeoutMs: 200 });
      const registry = new Registry();
      const stop = createMetrics({ registry, labels: { service: 'shop' } }).observe(store);
      const rule = { intervalMs: 10, burst: 5, maxWaitMs: 0 };
      await store.take('k', rule, 0);
      expect(await samples(registry, 'bulwark_redis_store_shared')).toEqual([
        `bulwark_redis_store_shared{service="shop",store="${prefix}"} 1`,
      ]);
      await server.stop();
      await store.take('k', rule, 0);
      expect(await samples(registry, 'bulwark_redis_store_shared')).toEqual([
        `bulwark_redis_store_shared{service="shop",store="${prefix}"} 0`,
      ]);
      const fallbacks = await samples(registry, 'bulwark_redis_store_fallbacks_total');
      expect(fallbacks).toHaveLength(2);
      expect(fallbacks.map((line) => Number(line.split(' ')[1])).reduce((a, b) => a + b)).toBe(1);
      stop();
    } finally {
      client.disconnect();
    }
  });
});
