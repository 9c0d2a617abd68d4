/**
 * `bulwark/testing`: fakes for your own test suites, so code that uses bulwark is tested with no
 * real waiting.
 *
 * @packageDocumentation
 */
export { FakeClock } from './fake-clock.js';
export type { FakeRateLimitStoreOptions, RecordedTake } from './fake-rate-limit-store.js';
export { FakeRateLimitStore } from './fake-rate-limit-store.js';
export { MemorySink } from './memory-sink.js';
