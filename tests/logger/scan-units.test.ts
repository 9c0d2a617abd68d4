/**
 * The scanner reads the text it scans from a buffer of code units (not `charCodeAt`, which V8
 * stops inlining once anything subclasses String, as ioredis and node-redis do). These check
 * the buffer's edges through the public redactor: text that is not ASCII, text longer than the
 * buffer kept between scans, a short text right after a long one (nothing of the long one may be
 * read), and a process where String has been subclassed.
 */
import { createRedactor } from 'bulwark/logger';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const redactor = createRedactor();
const TOKEN = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';

describe('the scanner code-unit buffer', () => {
  it('finds a secret after text that is not ASCII (accents, emoji, a lone surrogate)', () => {
    for (const before of ['café ', 'naïve — ', '🔑 ', '\uD800 ', 'привет ']) {
      expect(redactor.redactString(`${before}token ${TOKEN} used`)).not.toContain(TOKEN);
    }
  });

  it('finds a secret at the end of a text longer than the kept buffer, then scans short texts cleanly', () => {
    const long = `${'x '.repeat(40_000)}password=hunter2hunter2`;
    expect(redactor.redactString(long)).not.toContain('hunter2hunter2');
    // The long text's characters must not be read past the end of these.
    for (const short of ['password', 'a=', 'Bearer', 'x', '']) expect(redactor.redactString(short)).toBe(short);
  });

  it('a short text after a longer one with a secret at the same place is left alone', () => {
    expect(redactor.redactString(`api_key=${TOKEN}`)).not.toContain(TOKEN);
    expect(redactor.redactString('api_key=')).toBe('api_key=');
    expect(redactor.redactString('api')).toBe('api');
  });

  it('finds the same secrets once String has been subclassed in the process', () => {
    class Verbatim extends String {}
    expect(new Verbatim('x').length).toBe(1);
    expect(redactor.redactString(`auth ${TOKEN} café`)).not.toContain(TOKEN);
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(redactor.redactString(`${a} ${TOKEN} ${b}`)).not.toContain(TOKEN);
      }),
    );
  });
});
