/**
 * `bulwark`: the platform-neutral API (core contracts and the call policies). It imports nothing
 * from `node:`, so it runs in Node, Deno, Bun, browsers and workers. Node-only modules have
 * their own subpaths.
 *
 * @packageDocumentation
 */

export type {
  CircuitBreaker,
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerSettings,
  CircuitBreakerSnapshot,
  CircuitBreakerStats,
  CircuitState,
  ConsecutiveFailuresRule,
  FailureRateOptions,
  FailureRateRule,
  HalfOpenOptions,
  RateWindow,
  SlowCallOptions,
  StateChangeReason,
  TripRule,
} from './breaker/index.js';
export { circuitBreaker, consecutiveFailures, failureRate } from './breaker/index.js';
export type {
  AdaptiveLimit,
  AdaptiveLimitEvents,
  AdaptiveLimitOptions,
  AdaptiveLimitReason,
  AdaptiveLimitSample,
  AdaptiveLimitStats,
  Bulkhead,
  BulkheadEvents,
  BulkheadOptions,
  BulkheadRejectReason,
  BulkheadSettings,
  BulkheadStats,
} from './bulkhead/index.js';
export { adaptiveLimit, bulkhead } from './bulkhead/index.js';
export * from './core/index.js';
export type {
  FallbackCommonOptions,
  FallbackEvents,
  FallbackOptions,
  FallbackPolicy,
  FallbackSettings,
  FallbackStats,
  FallbackToOptions,
  FallbackValueOptions,
} from './fallback/index.js';
export { fallback } from './fallback/index.js';
export type { HedgeEvents, HedgeOptions, HedgePolicy, HedgeSettings, HedgeStats } from './hedge/index.js';
export { hedge } from './hedge/index.js';
export type {
  MemoryRateLimitStore,
  MemoryRateLimitStoreOptions,
  RateDecision,
  RateLimitEvents,
  RateLimitOptions,
  RateLimitPolicy,
  RateLimitSettings,
  RateLimitStats,
  RateLimitStore,
  RateRule,
} from './rate-limit/index.js';
export { memoryRateLimitStore, rateLimit } from './rate-limit/index.js';
export type {
  GiveUpReason,
  RetryBudget,
  RetryBudgetOptions,
  RetryBudgetSettings,
  RetryBudgetStats,
  RetryDecisionContext,
  RetryEvents,
  RetryOptions,
  RetryPolicy,
  RetrySettings,
} from './retry/index.js';
export { retry, retryBudget } from './retry/index.js';
export type { TimeoutEvents, TimeoutOptions, TimeoutPolicy, TimeoutSettings } from './timeout/index.js';
export { timeout } from './timeout/index.js';
