/** Log levels, least to most severe. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * The levels in order; a logger writes its level and every level after it.
 *
 * @example
 * ```ts
 * import { LOG_LEVELS } from 'bulwark/logger';
 *
 * LOG_LEVELS.indexOf('warn') > LOG_LEVELS.indexOf('info'); // true
 * ```
 */
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** @internal */
export function levelIndex(level: unknown): number {
  return LOG_LEVELS.indexOf(level as LogLevel);
}
