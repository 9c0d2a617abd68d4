/**
 * Properties of the redactor for all inputs: a secret embedded anywhere in random text is found;
 * random text without one is left alone; hostile objects (getters, throwing Proxies, toJSON,
 * cycles, __proto__, huge and deep values) never make it throw, and serializing its output runs
 * none of their code.
 */
import { createRedactor } from 'bulwark/logger';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TOKEN_SHAPES } from '../../src/logger/redact/tokens.js';

const r = createRedactor();

/** Ordinary words: none is a secret word, a scheme word or a token prefix. */
const WORDS = [
  'the',
  'order',
  'shipped',
  'retry',
  'after',
  'cache',
  'warm',
  'user',
  'ann',
  'page',
  'limit',
  'region',
  'eu',
  'west',
  'status',
  'ok',
  'failed',
  'upstream',
  'request',
  'done',
  'in',
  'ms',
  'queue',
  'depth',
  'node',
  'pod',
  'v2',
  'id',
  'count',
  'items',
  'level',
  'info',
  'Lisbon',
  'Monday',
  'https',
  'example',
  'com',
  'json',
  'GET',
];
const SEPARATORS = [
  ' ',
  ' ',
  ' ',
  ', ',
  '; ',
  ' - ',
  '/',
  '.',
  ' (',
  ') ',
  '\n',
  '\t',
  ' = ',
  ': ',
  '&',
  '?',
  '"',
  "'",
];
const word = fc.oneof(fc.constantFrom(...WORDS), fc.integer({ min: 0, max: 99999 }).map(String));
const text = fc
  .array(fc.tuple(word, fc.constantFrom(...SEPARATORS)), { maxLength: 12 })
  .map((parts) => parts.map(([w, s]) => w + s).join(''));

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const body = (n: number) => fc.array(fc.constantFrom(...ALNUM), { minLength: n, maxLength: n }).map((a) => a.join(''));
const PREFIX_SHAPES = TOKEN_SHAPES.filter((s) => s.secretGroup === undefined);

/** A secret, and the text it hides in: a documented token, a generated one, or a secret pair. */
const planted = fc.oneof(
  fc.constantFrom(...PREFIX_SHAPES.map((s) => s.example)).map((token) => ({ secret: token, shown: token })),
  body(36).map((b) => ({ secret: `ghp_${b}`, shown: `ghp_${b}` })),
  body(34).map((b) => ({ secret: `hf_${b}`, shown: `hf_${b}` })),
  body(40).map((b) => ({ secret: `glpat-${b}`, shown: `glpat-${b}` })),
  fc
    .tuple(
      fc.constantFrom('password', 'DB_PASS', 'api_key', 'client_secret', 'x-api-key', 'PGPASSWORD', 'AccountKey'),
      body(14),
      fc.constantFrom('=', ': ', '":"', "='", ' = '),
    )
    .map(([key, value, sep]) => ({
      secret: `9${value}`,
      shown: `${sep.startsWith('"') ? '"' : ''}${key}${sep}9${value}${sep.endsWith('"') ? '"' : sep.endsWith("'") ? "'" : ''}`,
    })),
  fc
    .tuple(body(12), body(20))
    .map(([user, pass]) => ({ secret: `p${pass}`, shown: `postgres://${user}:p${pass}@db.internal:5432/app` })),
  body(20).map((pass) => ({ secret: `x${pass}`, shown: `curl -u deploy:x${pass} https://x.internal` })),
);

describe('string scanners, for all texts', () => {
  it('find a secret embedded anywhere in random text', () => {
    fc.assert(
      fc.property(
        text,
        planted,
        text,
        fc.constantFrom(' ', '\n', '(', '"', ' : ', '\t'),
        (before, { secret, shown }, after, glue) => {
          const out = r.redactString(`${before}${glue}${shown}${glue}${after}`);
          expect(out).not.toContain(secret);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('leave random text without a secret alone', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(r.redactString(t)).toBe(t);
        expect(r.explain({ msg: t })).toEqual([]);
      }),
      { numRuns: 1500 },
    );
  });

  it('leave ordinary identifiers alone: UUIDs, hashes, request ids, base64 of text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uuid(),
          fc.stringMatching(/^[0-9a-f]{40}$/),
          fc.stringMatching(/^[0-9a-f]{64}$/),
          fc.stringMatching(/^req_[A-Za-z0-9]{20}$/),
          text.map((t) => Buffer.from(t).toString('base64')),
        ),
        (id) => {
          expect(r.redactString(`processed ${id} in 12 ms`)).toBe(`processed ${id} in 12 ms`);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

/** An object that counts the reads of its getter, so a second read after redaction is seen. */
interface Counted {
  reads: number;
}

function hostileProxy(kind: number): object {
  const fail = (what: string) => () => {
    throw new Error(what);
  };
  if (kind === 0) return new Proxy({}, { ownKeys: fail('ownKeys') });
  if (kind === 1) return new Proxy({}, { getPrototypeOf: fail('getPrototypeOf') });
  if (kind === 2) return new Proxy({ a: 1 }, { get: fail('get') });
  if (kind === 3) return new Proxy([1, 2], { get: fail('get'), has: fail('has') });
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  return revocable.proxy;
}

/** Hostile values: getters (some throwing), Proxies with throwing traps, toJSON, cycles, __proto__. */
function hostile(counter: Counted) {
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.bigInt(),
      fc.constantFrom(null, undefined, true, Symbol('s'), () => 1, new Date(0), new Date(Number.NaN), /x/g),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(
        fc.constantFrom('password', '__proto__', 'constructor', 'toString', 'name', 'value', 'a', 'token_type'),
        tie('value'),
        { maxKeys: 4 },
      ),
      tie('value').map((inner) => ({
        get counted() {
          counter.reads++;
          return inner;
        },
      })),
      fc.constant(
        Object.defineProperty({}, 'boom', {
          enumerable: true,
          get() {
            throw new Error('getter');
          },
        }),
      ),
      tie('value').map((inner) => ({
        toJSON() {
          counter.reads++;
          return inner;
        },
      })),
      // Each Proxy sits in a plain object: fast-check itself probes the values it generates.
      fc.constantFrom(0, 1, 2, 3, 4).map((kind) => ({ proxy: hostileProxy(kind) })),
      tie('value').map(
        (inner) =>
          new Map<unknown, unknown>([
            [{ k: 1 }, inner],
            ['apiKey', inner],
          ]),
      ),
      tie('value').map((inner) => new Set([inner, 1])),
      fc.string().map((s) => Object.assign(new Error(s), { cause: s, code: 'E' })),
    ),
  })).value;
}

describe('hostile input', () => {
  it('never throws, and serializing the output reads nothing of the input again', () => {
    const counter: Counted = { reads: 0 };
    fc.assert(
      fc.property(hostile(counter), fc.boolean(), (value, cycle) => {
        if (cycle && typeof value === 'object' && value !== null) {
          try {
            (value as Record<string, unknown>).self = value;
          } catch {
            // a Proxy that refuses writes is hostile enough as it is
          }
        }
        const out = r.redact(value);
        r.explain(value);
        const before = counter.reads;
        expect(() => JSON.stringify(out)).not.toThrow();
        expect(counter.reads).toBe(before);
      }),
      { numRuns: 800 },
    );
  });

  it('stays bounded on huge and deep input', () => {
    let deep: unknown = { leaf: 'password=x1234567' };
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const wide = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, { v: i }]));
    const started = performance.now();
    expect(JSON.stringify(r.redact(deep))).toContain('[MaxDepth]');
    expect(JSON.stringify(r.redact(wide))).toContain('more keys');
    expect(r.redact('x'.repeat(5_000_000)) as string).toHaveLength(100_000 + '...[4900000 more chars]'.length);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
