/**
 * `bulwark/retry`: try again what failed for a transient reason, with backoff and jitter,
 * Retry-After and a shared retry budget.
 *
 * @packageDocumentation
 */
export type {
  Backoff,
  BackoffContext,
  BackoffFunction,
  BackoffOption,
  ConstantOptions,
  ExponentialOptions,
  Jitter,
} from '../core/backoff.js';
export { constant, exponential, fromDelays } from '../core/backoff.js';
export { PermanentError, RetryableError } from '../core/errors.js';
export type { RetryBudget, RetryBudgetOptions, RetryBudgetSettings, RetryBudgetStats } from './budget.js';
export { retryBudget } from './budget.js';
export type {
  GiveUpReason,
  RetryDecisionContext,
  RetryEvents,
  RetryOptions,
  RetryPolicy,
  RetrySettings,
} from './retry.js';
export { retry } from './retry.js';
export type { BudgetCounts, RetryBudgetStore } from './shared-budget.js';
