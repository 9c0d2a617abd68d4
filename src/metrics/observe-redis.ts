/**
 * Observer of a Redis store (`bulwark/redis`): whether its limits are shared now, read when
 * scraped, and its switches to local, counted from its `fallback` events. Recognised by its
 * `kind`; nothing of bulwark/redis is imported.
 */
import type { Families } from './families.js';
import type { Observed } from './observe-policies.js';
import { CounterSeries } from './series.js';

/** What `observe` needs of a `redisStore` from `bulwark/redis`. */
export interface RedisStoreShape {
  /** `'redis-store'`: how it is recognised. */
  readonly kind: 'redis-store';
  /** Its key prefix, the `store` label. */
  readonly prefix: string;
  /** `'shared'` or `'local'`, read when scraped. */
  readonly mode: 'shared' | 'local';
  /** Subscribes to `fallback` (shared to local), counted by reason. */
  on(event: 'fallback', listener: (payload: { readonly reason: 'timeout' | 'error' }) => void): () => void;
}

export function isRedisStore(x: object): x is RedisStoreShape {
  const s = x as Partial<Record<'kind' | 'prefix' | 'on', unknown>>;
  return s.kind === 'redis-store' && typeof s.prefix === 'string' && typeof s.on === 'function';
}

export function observeRedisStore(
  f: Families,
  store: RedisStoreShape,
  constant: Readonly<Record<string, string>>,
): Observed {
  const series = {
    timeout: new CounterSeries({ ...constant, store: store.prefix, reason: 'timeout' }),
    error: new CounterSeries({ ...constant, store: store.prefix, reason: 'error' }),
  };
  const off = store.on('fallback', ({ reason }) => {
    const s = series[reason];
    if (s !== undefined) s.value++;
  });
  return {
    observation: {
      constant,
      counters: [
        [f.redisFallbacks, series.timeout],
        [f.redisFallbacks, series.error],
      ],
      durations: [],
      redisStore: store,
    },
    stop: off,
  };
}
