/**
 * `bulwark/fallback`: answer a failed call with a value of your choosing, with exact types.
 *
 * @packageDocumentation
 */
export type {
  FallbackCommonOptions,
  FallbackEvents,
  FallbackOptions,
  FallbackPolicy,
  FallbackSettings,
  FallbackStats,
  FallbackToOptions,
  FallbackValueOptions,
} from './fallback.js';
export { fallback } from './fallback.js';
