import type { Sink } from '../logger/sinks.js';

/**
 * A log sink that keeps every line in memory, to assert on what your code logged.
 *
 * @example
 * ```ts
 * import { createLogger } from 'bulwark/logger';
 * import { MemorySink } from 'bulwark/testing';
 *
 * const sink = new MemorySink();
 * const log = createLogger({ sink });
 * log.warn('login failed', { user: 'ann', password: 'hunter2' });
 * expect(sink.records[0]).toMatchObject({ level: 'warn', user: 'ann', password: '[REDACTED]' });
 * ```
 */
export class MemorySink implements Sink {
  /** Every line written, in order. */
  readonly lines: string[] = [];

  /** Every line parsed as JSON. */
  get records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Keeps one line. */
  write(line: string): void {
    this.lines.push(line);
  }

  /** Forgets every line. */
  clear(): void {
    this.lines.length = 0;
  }
}
