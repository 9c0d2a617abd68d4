/**
 * Issue 13: the logger takes pino's call forms as well as its own, a Node Writable passed as a
 * sink gets one JSON line per record, and a line never has two keys of one name.
 */
import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from 'bulwark/logger';
import { FakeClock, MemorySink } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');

function setup(name?: string) {
  const sink = new MemorySink();
  const log = createLogger({ sink, clock: new FakeClock(T0), ...(name === undefined ? {} : { name }) });
  return { sink, log };
}

describe('call forms', () => {
  it("pino's order writes the same line as bulwark's", () => {
    const { sink, log } = setup('api');
    log.warn('retrying', { attempt: 2, delayMs: 100 });
    log.warn({ attempt: 2, delayMs: 100 }, 'retrying');
    expect(sink.lines[0]).toBe(sink.lines[1]);
    expect(sink.records[0]).toMatchObject({ msg: 'retrying', attempt: 2, delayMs: 100 });
  });

  it('a message alone, fields alone, and an Error first', () => {
    const { sink, log } = setup();
    log.info('started');
    log.info({ port: 8080 });
    log.error(new Error('disk full'), 'upload failed');
    log.error(new Error('disk full'));
    expect(sink.records[0]).toMatchObject({ msg: 'started' });
    expect(sink.records[1]).toMatchObject({ msg: '', port: 8080 });
    expect(sink.records[2]).toMatchObject({ msg: 'upload failed', err: { type: 'Error', message: 'disk full' } });
    expect(sink.records[3]).toMatchObject({ msg: 'disk full', err: { message: 'disk full' } });
  });

  it('fields in either order are still redacted', () => {
    const { sink, log } = setup();
    log.info({ password: 'hunter2' }, 'login');
    expect(sink.records[0]).toMatchObject({ msg: 'login', password: '[REDACTED]' });
  });

  it('methods work detached, as callbacks', () => {
    const { sink, log } = setup();
    const { info } = log;
    info('detached');
    const { warn } = log;
    ['a', 'b'].map((m) => warn(m));
    expect(sink.records.map((r) => r.msg)).toEqual(['detached', 'a', 'b']);
  });

  it('types both forms and refuses neither', () => {
    const log: Logger = createLogger({ sink: new MemorySink() });
    log.info('m', { a: 1 });
    log.info({ a: 1 }, 'm');
    log.info({ a: 1 });
    log.info(new Error('x'), 'm');
    expectTypeOf(log.info).parameter(0).toEqualTypeOf<string | Readonly<Record<string, unknown>> | Error>();
  });
});

describe('keys the line writes itself', () => {
  it('time, level, msg and (on a named logger) name in fields are prefixed with _', () => {
    const { sink, log } = setup('api');
    log.info('hello', { level: 3, time: 'noon', msg: 'inner', name: 'Ada', _level: 'taken' });
    const line = sink.lines[0] as string;
    expect(JSON.parse(line)).toMatchObject({
      level: 'info',
      name: 'api',
      msg: 'hello',
      __level: 3,
      _time: 'noon',
      _msg: 'inner',
      _name: 'Ada',
      _level: 'taken',
    });
    expect(line.match(/"level":/g)).toHaveLength(1);
  });

  it('an unnamed logger keeps a `name` field as it is', () => {
    const { sink, log } = setup();
    log.info('hello', { name: 'Ada' });
    expect(sink.records[0]).toMatchObject({ name: 'Ada' });
  });

  it('bindings of a child and of the logger are renamed the same way', () => {
    const sink = new MemorySink();
    const log = createLogger({ sink, bindings: { level: 'x' } }).child({ msg: 'y' });
    log.warn('m');
    expect(sink.records[0]).toMatchObject({ level: 'warn', msg: 'm', _level: 'x', _msg: 'y' });
  });

  it('no line ever has a duplicate key, whatever the fields', () => {
    const keys = fc.constantFrom('time', 'level', 'msg', 'name', '_level', '__level', '_msg', 'x');
    fc.assert(
      fc.property(fc.dictionary(keys, fc.integer()), fc.boolean(), (fields, named) => {
        const { sink, log } = setup(named ? 'svc' : undefined);
        log.info({ ...fields }, 'm');
        const line = sink.lines[0] as string;
        const seen = [...line.matchAll(/"([^"]+)":/g)].map((m) => m[1]);
        expect(new Set(seen).size).toBe(seen.length);
        expect(Object.keys(JSON.parse(line))).toHaveLength(seen.length);
      }),
    );
  });
});

describe('a Node Writable as the sink', () => {
  it('gets one JSON line per record, newline included', async () => {
    const stream = new PassThrough();
    let written = '';
    stream.on('data', (chunk: Buffer) => {
      written += chunk.toString();
    });
    const log = createLogger({ sink: stream, clock: new FakeClock(T0) });
    log.info('one', { a: 1 });
    log.warn({ b: 2 }, 'two');
    await log.flush();
    const lines = written.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toMatchObject([
      { msg: 'one', a: 1 },
      { msg: 'two', b: 2 },
    ]);
  });
});
