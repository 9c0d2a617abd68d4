/**
 * `bulwark/timeout`: limit how long a call may take, and tell the work to stop when it is late.
 *
 * @packageDocumentation
 */
export { TimeoutError } from '../core/errors.js';
export type { TimeoutEvents, TimeoutOptions, TimeoutPolicy, TimeoutSettings } from './timeout.js';
export { timeout } from './timeout.js';
