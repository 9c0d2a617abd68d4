/**
 * `bulwark/rate-limit`: at most `limit` calls per `windowMs`, spread evenly, with a burst; calls
 * over it wait (up to `maxWaitMs`) or are refused with an exact `retryAfterMs`. State lives behind
 * a small store interface, in memory by default.
 *
 * @packageDocumentation
 */
export { RateLimitedError } from '../core/errors.js';
export type { MemoryRateLimitStore, MemoryRateLimitStoreOptions } from './memory-store.js';
export { memoryRateLimitStore } from './memory-store.js';
export type { RateLimitEvents, RateLimitOptions, RateLimitPolicy, RateLimitStats } from './rate-limit.js';
export { rateLimit } from './rate-limit.js';
export type { RateDecision, RateLimitStore, RateRule } from './store.js';
