/**
 * `bulwark/bulkhead`: bound how many calls run at once, with a queue, and a limit that finds
 * itself from measured latency.
 *
 * @packageDocumentation
 */
export { BulkheadRejectedError } from '../core/errors.js';
export type {
  AdaptiveLimit,
  AdaptiveLimitEvents,
  AdaptiveLimitOptions,
  AdaptiveLimitReason,
  AdaptiveLimitSample,
  AdaptiveLimitStats,
} from './adaptive.js';
export { adaptiveLimit } from './adaptive.js';
export type {
  Bulkhead,
  BulkheadEvents,
  BulkheadOptions,
  BulkheadRejectReason,
  BulkheadSettings,
  BulkheadStats,
} from './bulkhead.js';
export { bulkhead } from './bulkhead.js';
