/** Log levels, least to most severe. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** The levels in order; a logger writes its level and every level after it. */
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** @internal */
export function levelIndex(level: unknown): number {
  return LOG_LEVELS.indexOf(level as LogLevel);
}
