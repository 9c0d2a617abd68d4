/**
 * `bulwark/breaker`: fail fast while a dependency is down, and probe it back to health.
 *
 * @packageDocumentation
 */
export { CircuitOpenError } from '../core/errors.js';
export type {
  CircuitBreaker,
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerSettings,
  CircuitBreakerStats,
  CircuitState,
  HalfOpenOptions,
  SlowCallOptions,
  StateChangeReason,
} from './breaker.js';
export { circuitBreaker } from './breaker.js';
export type {
  BreakerReport,
  BreakerRule,
  BreakerStateStore,
  BreakerView,
  LeaseAnswer,
  SharedBreakerOptions,
  SharedBreakerStats,
} from './shared.js';
export type { CircuitBreakerSnapshot } from './snapshot.js';
export type { ConsecutiveFailuresRule, FailureRateOptions, FailureRateRule, RateWindow, TripRule } from './trip.js';
export { consecutiveFailures, failureRate } from './trip.js';
