/**
 * `bulwark/hedge`: when a call is slow, race it against a fresh attempt; the first success wins.
 * Only for idempotent work.
 *
 * @packageDocumentation
 */
export type { HedgeEvents, HedgeOptions, HedgePolicy, HedgeSettings, HedgeStats } from './hedge.js';
export { hedge } from './hedge.js';
