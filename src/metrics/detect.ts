/**
 * Recognises what `observe` was given by its public shape, never by importing the classes, so
 * `bulwark/metrics` pulls no primitive's implementation into a bundle.
 */
import type { CircuitBreaker } from '../breaker/breaker.js';
import type { Bulkhead } from '../bulkhead/bulkhead.js';
import type { ComposedPolicy, Policy } from '../core/policy.js';
import type { PolicyRegistry } from '../core/registry.js';
import type { FallbackPolicy } from '../fallback/fallback.js';
import type { HedgePolicy } from '../hedge/hedge.js';
import type { RateLimitPolicy } from '../rate-limit/rate-limit.js';
import type { RetryPolicy } from '../retry/retry.js';
import type { TimeoutPolicy } from '../timeout/timeout.js';
import { isRedisStore, type RedisStoreShape } from './observe-redis.js';
import { type ConfigWatcherShape, type HealthCheckerShape, isConfigWatcher, isHealthChecker } from './observe-state.js';

/** A thing `observe` knows, tagged with its kind. */
export type Known =
  | { readonly kind: 'composed'; readonly target: ComposedPolicy }
  | { readonly kind: 'registry'; readonly target: PolicyRegistry<Policy, unknown> }
  | { readonly kind: 'circuit breaker'; readonly target: CircuitBreaker }
  | { readonly kind: 'retry policy'; readonly target: RetryPolicy }
  | { readonly kind: 'timeout policy'; readonly target: TimeoutPolicy }
  | { readonly kind: 'bulkhead'; readonly target: Bulkhead }
  | { readonly kind: 'rate limiter'; readonly target: RateLimitPolicy }
  | { readonly kind: 'fallback policy'; readonly target: FallbackPolicy<unknown> }
  | { readonly kind: 'hedge policy'; readonly target: HedgePolicy }
  | { readonly kind: 'health checker'; readonly target: HealthCheckerShape }
  | { readonly kind: 'config watcher'; readonly target: ConfigWatcherShape }
  | { readonly kind: 'redis store'; readonly target: RedisStoreShape };

type Members = Partial<Record<string, unknown>>;

const fn = (x: Members, ...names: string[]) => names.every((n) => typeof x[n] === 'function');

/** What `x` is, or undefined when it is nothing `observe` knows. */
export function recognise(x: unknown): Known | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const m = x as Members;
  if (m.kind === 'registry' && fn(m, 'get', 'on', 'entries')) {
    return { kind: 'registry', target: x as PolicyRegistry<Policy, unknown> };
  }
  // A policy says what it is (`kind`); nothing is guessed from its other properties.
  if (fn(m, 'execute')) {
    switch (m.kind) {
      case 'compose':
        return { kind: 'composed', target: x as ComposedPolicy };
      case 'breaker':
        return { kind: 'circuit breaker', target: x as CircuitBreaker };
      case 'timeout':
        return { kind: 'timeout policy', target: x as TimeoutPolicy };
      case 'retry':
        return { kind: 'retry policy', target: x as RetryPolicy };
      case 'bulkhead':
        return { kind: 'bulkhead', target: x as Bulkhead };
      case 'rate-limit':
        return { kind: 'rate limiter', target: x as RateLimitPolicy };
      case 'fallback':
        return { kind: 'fallback policy', target: x as FallbackPolicy<unknown> };
      case 'hedge':
        return { kind: 'hedge policy', target: x as HedgePolicy };
    }
  }
  if (isHealthChecker(x)) return { kind: 'health checker', target: x };
  if (isConfigWatcher(x)) return { kind: 'config watcher', target: x };
  if (isRedisStore(x)) return { kind: 'redis store', target: x };
  return undefined;
}
