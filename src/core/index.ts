export { abortReason, onAbort } from './abort.js';
export type {
  Backoff,
  BackoffContext,
  BackoffFunction,
  BackoffOption,
  ConstantOptions,
  ExponentialOptions,
  Jitter,
} from './backoff.js';
export { constant, exponential, fromDelays } from './backoff.js';
export type { ClassifyOptions, ErrorClass } from './classify.js';
export { classify, httpStatusOf, isRetryable, RETRYABLE_HTTP_STATUSES, RETRYABLE_NETWORK_CODES } from './classify.js';
export type { Clock } from './clock.js';
export { isClock, systemClock } from './clock.js';
export type { Configurable } from './configure.js';
export type {
  CircuitOpenErrorOptions,
  ConfigIssue,
  RejectedErrorOptions,
  ResilienceErrorCode,
  ResilienceErrorOptions,
  RetryableErrorOptions,
  TimeoutErrorOptions,
} from './errors.js';
export {
  BulkheadRejectedError,
  CircuitOpenError,
  ConfigError,
  isResilienceError,
  PermanentError,
  RateLimitedError,
  RejectedError,
  ResilienceError,
  RetryableError,
  TimeoutError,
} from './errors.js';
export type { HttpErrorOptions, ResponseLike } from './http.js';
export { HttpError, throwIfNotOk } from './http.js';
export type { EventSource, Unsubscribe } from './listeners.js';
export type { ComposedPolicy, ExecuteContext, ExecuteOptions, Policy, Work } from './policy.js';
export { compose, isPolicy } from './policy.js';
export type {
  EvictionReason,
  PolicyRegistry,
  PolicyRegistryEvents,
  PolicyRegistryOptions,
  PolicyRegistryStats,
} from './registry.js';
export { policies } from './registry.js';
export type { RetryAfterOptions } from './retry-after.js';
export { MAX_RETRY_AFTER_MS, retryAfterMs } from './retry-after.js';
