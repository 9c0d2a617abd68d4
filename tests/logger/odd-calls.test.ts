/**
 * What plain JavaScript (or an `any`) can hand the logger beyond its types: every line stays one
 * JSON object, no secret survives as a key, and an async sink that rejects is a counted failure,
 * never an unhandled rejection.
 */
import { createLogger, type Sink } from 'bulwark/logger';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

function capture() {
  const lines: string[] = [];
  const log = createLogger({ sink: { write: (line: string) => void lines.push(line) } });
  return { log: log as unknown as Record<'info' | 'warn', (...args: unknown[]) => void>, lines, logger: log };
}

describe('the logger on calls its types do not allow', () => {
  it.each([
    ['an array after the message', ['m', [1, 2]], { msg: 'm', value: [1, 2] }],
    ['an array alone', [[1, 2]], { msg: '', value: [1, 2] }],
    ['a Set', [new Set(['a'])], { msg: '', value: ['a'] }],
    ['a Date after the message', ['d', new Date(0)], { msg: 'd', value: '1970-01-01T00:00:00.000Z' }],
    ['a URL', ['u', new URL('https://example.com/a')], { msg: 'u', value: 'https://example.com/a' }],
    ['an array of secrets', [['postgres://app:hunter22@db/main']], { value: ['postgres://app:[REDACTED]@db/main'] }],
  ])('%s: one JSON object, the value under "value"', (_label, args, expected) => {
    const { log, lines } = capture();
    log.info(...args);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject(expected);
  });

  it('a secret used as a key is redacted like any other text, on every path', () => {
    const { log, lines } = capture();
    const token = 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789';
    log.info('cache', { [token]: 1, 'postgres://user:hunter22@host/db': 2, plain: 3 });
    log.info('map', { sessions: new Map([[token, { user: 'ann' }]]) });
    log.info('getter', {
      [token]: 1,
      get broken(): never {
        throw new Error('no');
      },
    });
    for (const line of lines) {
      expect(line).not.toContain(token);
      expect(line).not.toContain('hunter22');
      expect(() => JSON.parse(line)).not.toThrow();
    }
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      '[REDACTED]': 1,
      'postgres://user:[REDACTED]@host/db': 2,
      plain: 3,
    });
  });

  it('an async sink that rejects is a counted failure, not an unhandled rejection', async () => {
    const sink: Sink = { write: async () => Promise.reject(new Error('disk gone')) };
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const log = createLogger({ sink });
      log.info('one');
      log.info('two');
      await new Promise((resolve) => setImmediate(resolve));
      expect(log.sinkFailures).toBe(2);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('child() takes no bindings as none, and refuses a Set or an array by name', () => {
    const { logger, lines } = capture();
    logger.child(undefined as never).info('plain');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ msg: 'plain' });
    expect(() => logger.child(new Set([1]) as never)).toThrow(/child: bindings must be an object of fields; got/);
    expect(() => logger.child([1] as never)).toThrow(/child: bindings must be an object of fields; got/);
  });
});
