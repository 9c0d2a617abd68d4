import { Writable } from 'node:stream';
import { createRedactor, pinoRedaction } from 'bulwark/logger';
import pino from 'pino';
import { describe, expect, it } from 'vitest';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('pinoRedaction', () => {
  it('catches what path-based redaction misses, in objects, messages, errors, base and child bindings', () => {
    const { lines, stream } = capture();
    const redactor = createRedactor();
    const log = pino(
      { ...pinoRedaction(redactor), base: { dsn: 'https://key@sentry.io/1' }, timestamp: false },
      stream,
    );
    log.info({ user: { password: 'hunter2', name: 'ann' } }, 'login with token=abcdef123456');
    // pino does not pass child bindings through its formatters: redact them on the way in.
    log.child(redactor.redact({ apiKey: 'k-123' }) as Record<string, unknown>).warn('child line');
    log.error(new Error('db at postgres://u:pw999999@db failed'));
    const all = lines.join('\n');
    for (const secret of ['hunter2', 'abcdef123456', 'k-123', 'pw999999', 'key@sentry'])
      expect(all).not.toContain(secret);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      user: { password: '[REDACTED]', name: 'ann' },
      msg: 'login with token=[REDACTED]',
    });
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ apiKey: '[REDACTED]', msg: 'child line' });
    expect(all).toContain('postgres://u:[REDACTED]@db failed');
  });

  it('shows the difference with pino redact paths on the shared corpus shape', () => {
    const { lines, stream } = capture();
    const pathOnly = pino({ redact: ['password', 'headers.authorization'], base: null, timestamp: false }, stream);
    const record = {
      msg2: 'cloning with token ghp_GoaXmI63JozGw82KwD6rQJM9UayY20948VGZ',
      aws: { secretAccessKey: 'DwxlGejk' },
    };
    pathOnly.info(record);
    const { lines: ours, stream: ourStream } = capture();
    pino({ ...pinoRedaction(), base: null, timestamp: false }, ourStream).info(record);
    expect(lines[0]).toContain('ghp_GoaXmI63');
    expect(lines[0]).toContain('DwxlGejk');
    expect(ours[0]).not.toContain('ghp_GoaXmI63');
    expect(ours[0]).not.toContain('DwxlGejk');
  });
});
