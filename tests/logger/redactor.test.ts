import { createRedactor } from 'bulwark/logger';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PLACEHOLDER } from '../../src/logger/redact/keys.js';

const r = createRedactor();

describe('redactor', () => {
  it('censors values under secret keys, whole words only', () => {
    expect(
      r.redact({
        password: 'p',
        apiKey: 'k',
        'x-api-key': 'k',
        client_secret: 's',
        AUTHORIZATION: 'a',
        sessionId: 'i',
        author: 'Grace',
        tokenizer: 'bpe',
        keyboard: 'dvorak',
        passenger: 'Ada',
        secretary: 'Joan',
      }),
    ).toEqual({
      password: '[REDACTED]',
      apiKey: '[REDACTED]',
      'x-api-key': '[REDACTED]',
      client_secret: '[REDACTED]',
      AUTHORIZATION: '[REDACTED]',
      sessionId: '[REDACTED]',
      author: 'Grace',
      tokenizer: 'bpe',
      keyboard: 'dvorak',
      passenger: 'Ada',
      secretary: 'Joan',
    });
  });

  it('censors every leaf of an object under a secret key, but keeps booleans, nulls, metadata keys and user names', () => {
    expect(
      r.redact({
        credentials: { user: 'a', pass: 'b' },
        passwordSet: true,
        token: null,
        cookie: { maxAge: 3600, sameSite: 'lax', value: 'sid=abc' },
      }),
    ).toEqual({
      credentials: { user: 'a', pass: '[REDACTED]' },
      passwordSet: true,
      token: null,
      cookie: { maxAge: 3600, sameSite: 'lax', value: '[REDACTED]' },
    });
  });

  it('censors only the secret part of a string', () => {
    expect(r.redactString('postgres://app:hunter22@db:5432/main')).toBe('postgres://app:[REDACTED]@db:5432/main');
    expect(r.redactString('GET /cb?code=1&access_token=abc123def456&x=1')).toBe(
      'GET /cb?code=1&access_token=[REDACTED]&x=1',
    );
    expect(r.redactString('Authorization: Bearer abcdefghijklmnop')).toBe('Authorization: Bearer [REDACTED]');
    expect(r.redactString('nothing to see here, just a long log message')).toBe(
      'nothing to see here, just a long log message',
    );
  });

  it('never mutates its input, and returns a fresh copy (nothing of the input is serialized twice)', () => {
    const clean = { a: { b: [1, 2, { c: 'x' }] } };
    const input = { clean, dirty: { password: 'p', other: { k: 1 } } };
    const frozen = structuredClone(input);
    const out = r.redact(input) as typeof input;
    expect(input).toEqual(frozen);
    expect(out.clean).toEqual(clean);
    expect(out.clean).not.toBe(clean);
    expect(out.dirty.other).not.toBe(input.dirty.other);
  });

  it('serializes errors with every part redacted, following causes and aggregates', () => {
    const cause = Object.assign(new Error('connect to postgres://u:pw123456@db failed'), { code: 'ECONNREFUSED' });
    const err = Object.assign(new Error('query failed', { cause }), { query: 'select 1', apiKey: 'k' });
    const out = r.redact({ err }) as { err: Record<string, unknown> };
    expect(out.err).toMatchObject({
      type: 'Error',
      message: 'query failed',
      query: 'select 1',
      apiKey: '[REDACTED]',
      cause: { type: 'Error', code: 'ECONNREFUSED', message: 'connect to postgres://u:[REDACTED]@db failed' },
    });
    expect(String(out.err.stack)).toContain('query failed');
    const agg = r.redact(new AggregateError([new Error('token=abcdef123456')], 'many')) as Record<string, unknown>;
    expect(agg).toMatchObject({ type: 'AggregateError', errors: [{ message: 'token=[REDACTED]' }] });
  });

  it('turns cycles, depth, big collections and special objects into safe, readable values', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(r.redact(cyclic)).toEqual({ name: 'loop', self: '[Circular]' });
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 15; i++) deep = { next: deep };
    expect(JSON.stringify(r.redact(deep))).toContain('[MaxDepth]');
    const small = createRedactor({ maxItems: 3 });
    expect(small.redact([1, 2, 3, 4, 5])).toEqual([1, 2, 3, '[2 more items]']);
    expect(
      r.redact({
        map: new Map([
          ['password', 'p'],
          ['user', 'u'],
        ]),
        set: new Set(['a']),
        buf: Buffer.from('secret bytes'),
        date: new Date(0),
        big: 10n,
        fn: function named() {},
        url: new URL('https://u:topsecret@h.example/'),
      }),
    ).toEqual({
      map: { password: '[REDACTED]', user: 'u' },
      set: ['a'],
      buf: '[Buffer 12 bytes]',
      date: '1970-01-01T00:00:00.000Z',
      big: '10',
      fn: '[Function named]',
      url: 'https://u:[REDACTED]@h.example/',
    });
  });

  it('never throws: throwing getters, revoked proxies, frozen objects, huge strings', () => {
    const hostile = Object.defineProperty({ ok: 1 }, 'boom', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(r.redact(hostile)).toEqual({ ok: 1, boom: '[Unreadable]' });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(r.redact({ proxy })).toEqual({ proxy: '[Unreadable]' });
    expect(r.redact(Object.freeze({ password: 'p' }))).toEqual({ password: '[REDACTED]' });
    const huge = `${'x'.repeat(200_000)} token=abcdefgh`;
    const out = r.redact(huge) as string;
    expect(out.length).toBeLessThan(100_100);
    expect(out).toContain('more chars]');
  });

  it('adds keys, paths and patterns, and lets the censor tag what it found', () => {
    const custom = createRedactor({
      keys: ['badge number', /^x-internal-/i],
      paths: ['user.phone', 'items[*].serial'],
      patterns: [{ name: 'employee-id', regex: /\bEMP-\d{6}\b/ }],
      censor: (_, { rule, path }) => `[REDACTED:${rule}@${path.join('.')}]`,
    });
    expect(
      custom.redact({
        badgeNumber: '1234',
        'X-Internal-Trace': 't',
        user: { phone: '555', name: 'Ann' },
        items: [{ serial: 'A1', ok: true }],
        note: 'ask EMP-123456 or ghp_0123456789abcdefghijklmnopqrstuvwxyz',
        text: 'scanned badgeNumber=778899 at the door',
      }),
    ).toEqual({
      badgeNumber: '[REDACTED:key:badge-number@badgeNumber]',
      'X-Internal-Trace': '[REDACTED:key:^x-internal-@X-Internal-Trace]',
      user: { phone: '[REDACTED:path:user.phone@user.phone]', name: 'Ann' },
      items: [{ serial: '[REDACTED:path:items.*.serial@items.0.serial]', ok: true }],
      note: 'ask [REDACTED:employee-id@note] or [REDACTED:github-token@note]',
      text: 'scanned badgeNumber=[REDACTED:key:badge-number@text] at the door',
    });
  });

  it('finds name=value pairs in text by the same key rules, your own keys included', () => {
    const badges = createRedactor({ keys: ['badge number'] });
    expect(badges.redactString('scanned badgeNumber=778899 at the door')).toBe(
      'scanned badgeNumber=[REDACTED] at the door',
    );
    expect(badges.redactString('retrying at 10:30 with mode=fast')).toBe('retrying at 10:30 with mode=fast');
  });

  it('refuses bad options, naming them', () => {
    expect(() => createRedactor({ keys: 'password' as never })).toThrow(
      'createRedactor: option "keys" must be an array of strings or RegExps; got "password" (string)',
    );
    expect(() => createRedactor({ maxDepth: 0 })).toThrow(
      'createRedactor: option "maxDepth" must be a whole number >= 1; got 0 (number)',
    );
    expect(() => createRedactor({ censor: 5 as never })).toThrow(/option "censor" must be a string or a function/);
    expect(() => createRedactor({ patterns: [{ name: 'x' }] as never })).toThrow(
      /option "patterns" must be an array of \{ name, regex \}/,
    );
    expect(() => createRedactor({ paths: [''] })).toThrow(/each of "paths" must be a non-empty string/);
  });
});

describe('redactor properties', () => {
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 12 }), tie('value'), { maxKeys: 4 }),
    ),
  })).value;

  it('never throws and never mutates, for any JSON-like value, with cycles', () => {
    fc.assert(
      fc.property(json, fc.boolean(), (value, makeCycle) => {
        if (makeCycle && typeof value === 'object' && value !== null && !Array.isArray(value)) {
          (value as Record<string, unknown>).again = value;
        }
        const before = makeCycle ? undefined : JSON.stringify(value);
        const out = r.redact(value);
        if (before !== undefined) expect(JSON.stringify(value)).toBe(before);
        expect(() => JSON.stringify(out)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it('a secret planted under a secret key at any depth never survives', () => {
    const secretKey = fc.constantFrom('password', 'apiKey', 'client_secret', 'X-Auth-Token', 'privateKey', 'sessionId');
    const plainKey = fc.constantFrom('data', 'user', 'items', 'meta', 'body');
    fc.assert(
      fc.property(
        fc.array(plainKey, { maxLength: 8 }),
        secretKey,
        fc.string({ minLength: 6 }),
        (trail, key, secret) => {
          // A placeholder (`<your key>`, `***`, `null`) is kept by design; fast-check makes one now and then.
          fc.pre(!/REDACTED/.test(secret) && !PLACEHOLDER.test(secret));
          let value: unknown = { [key]: secret };
          for (const k of trail) value = { [k]: value, other: 'x' };
          expect(JSON.stringify(r.redact(value))).not.toContain(JSON.stringify(secret));
        },
      ),
    );
  });

  it('a value that is not secret-shaped under a non-secret key is left as it was', () => {
    const harmless = fc
      .stringMatching(/^[a-z ]{0,40}$/)
      .filter((s) => !/pass|pwd|secret|token|key|auth|sig|session|bearer|basic|digest/.test(s));
    const plainKey = fc.constantFrom('data', 'user', 'items', 'note', 'status');
    fc.assert(
      fc.property(plainKey, harmless, (key, text) => {
        expect(r.redact({ [key]: text })).toEqual({ [key]: text });
      }),
    );
  });
});
