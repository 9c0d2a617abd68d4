import { PassThrough } from 'node:stream';
import { createLogger, createRedactor, streamSink, withLogContext } from 'bulwark/logger';
import { FakeClock, MemorySink } from 'bulwark/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');

function setup(options: Parameters<typeof createLogger>[0] = {}) {
  const sink = new MemorySink();
  const log = createLogger({ sink, clock: new FakeClock(T0), ...options });
  return { sink, log };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('logger', () => {
  it('writes one JSON line per call: time, level, name, msg, bindings, fields', () => {
    const { sink, log } = setup({ name: 'api', bindings: { service: 'users' } });
    log.info('user signed in', { user: 'ann', password: 'hunter2' });
    expect(sink.lines).toEqual([
      '{"time":"2026-11-22T10:00:00.000Z","level":"info","name":"api","msg":"user signed in","service":"users","user":"ann","password":"[REDACTED]"}',
    ]);
  });

  it('serializes err and error fields, redacted', () => {
    const { sink, log } = setup();
    const err = Object.assign(new Error('auth failed for token=abcdef123456'), { code: 'EAUTH' });
    log.error('request failed', { err, error: new TypeError('bad') });
    const record = sink.records[0] as { err: Record<string, unknown>; error: Record<string, unknown> };
    expect(record.err).toMatchObject({ type: 'Error', message: 'auth failed for token=[REDACTED]', code: 'EAUTH' });
    expect(record.error).toMatchObject({ type: 'TypeError', message: 'bad' });
    expect(String(record.err.stack)).toContain('auth failed for token=[REDACTED]');
  });

  it('redacts secrets in the message itself', () => {
    const { sink, log } = setup();
    log.warn('connecting to postgres://app:s3cret99@db:5432/main');
    expect(sink.records[0]?.msg).toBe('connecting to postgres://app:[REDACTED]@db:5432/main');
  });

  it('skips calls below its level without touching their fields', () => {
    const { sink, log } = setup({ level: 'warn' });
    let reads = 0;
    const fields = {
      get expensive() {
        reads++;
        return 1;
      },
    };
    log.debug('ignored', fields);
    log.info('ignored', fields);
    expect(reads).toBe(0);
    expect(sink.lines).toHaveLength(0);
    log.warn('kept', fields);
    expect(reads).toBeGreaterThan(0);
    expect(log.isLevelEnabled('info')).toBe(false);
    log.level = 'trace';
    log.trace('now written');
    expect(sink.records.map((r) => r.level)).toEqual(['warn', 'trace']);
  });

  it('takes its level from LOG_LEVEL when not given, and refuses a bad one by name', () => {
    vi.stubEnv('LOG_LEVEL', 'ERROR');
    expect(setup().log.level).toBe('error');
    vi.stubEnv('LOG_LEVEL', 'loud');
    expect(() => setup()).toThrow(
      `createLogger: the LOG_LEVEL environment variable must be one of 'trace', 'debug', 'info', 'warn', 'error', 'fatal'; got "loud" (string)`,
    );
    vi.stubEnv('LOG_LEVEL', '');
    expect(setup().log.level).toBe('info');
  });

  it('child loggers add bindings and share the sink', () => {
    const { sink, log } = setup();
    const child = log.child({ requestId: 'r-1', apiKey: 'k' }).child({ step: 2 });
    child.info('hello');
    expect(sink.records[0]).toMatchObject({ requestId: 'r-1', apiKey: '[REDACTED]', step: 2, msg: 'hello' });
  });

  it('withLogContext adds bindings to every line inside, across awaits, nested', async () => {
    const { sink, log } = setup();
    await withLogContext({ requestId: 'r-9', token: 'abc' }, async () => {
      log.info('start');
      await new Promise((resolve) => setImmediate(resolve));
      await withLogContext({ user: 'ann' }, async () => log.info('inner'));
      log.info('end');
    });
    log.info('outside');
    expect(sink.records.map(({ msg, requestId, user, token }) => ({ msg, requestId, user, token }))).toEqual([
      { msg: 'start', requestId: 'r-9', user: undefined, token: '[REDACTED]' },
      { msg: 'inner', requestId: 'r-9', user: 'ann', token: '[REDACTED]' },
      { msg: 'end', requestId: 'r-9', user: undefined, token: '[REDACTED]' },
      { msg: 'outside', requestId: undefined, user: undefined, token: undefined },
    ]);
  });

  it('never throws into the caller when the sink fails; counts, and warns once', async () => {
    // Caught here, so the test report is not interleaved with the warning.
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const log = createLogger({
      sink: {
        write() {
          throw new Error('disk full');
        },
      },
    });
    log.error('one');
    log.error('two');
    expect(log.sinkFailures).toBe(2);
    expect(warn.mock.calls.filter(([w]) => String(w).includes('a log sink failed'))).toHaveLength(1);
  });

  it('a closed stream counts as a failure, never an exception', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const stream = new PassThrough();
    const log = createLogger({ sink: streamSink(stream) });
    log.info('before');
    expect(stream.read()?.toString()).toContain('"msg":"before"');
    stream.destroy();
    log.info('after');
    expect(log.sinkFailures).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    await log.flush();
  });

  it('shares a redactor given to it', () => {
    const redactor = createRedactor({ keys: ['badge'] });
    const { sink, log } = setup({ redact: redactor });
    log.info('x', { badge: 7 });
    expect(sink.records[0]?.badge).toBe('[REDACTED]');
  });

  it('refuses bad options, naming them', () => {
    expect(() => createLogger({ level: 'verbose' as never })).toThrow(`createLogger: option "level" must be one of`);
    expect(() => createLogger({ sink: {} as never })).toThrow(
      'createLogger: option "sink" must be a Sink (an object with a write(line) method) or a Node Writable stream; got object',
    );
    expect(() => createLogger({ bindings: 'x' as never })).toThrow(
      'bindings must be an object of fields; got "x" (string)',
    );
    expect(() => createLogger({ colour: true } as never)).toThrow('createLogger: unknown option "colour"');
  });
});
