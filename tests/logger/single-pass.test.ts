/**
 * The logger writes a call's fields in one redacting walk (`fieldsWriter`), not by redacting a
 * copy and serializing it. For every input the two must write the same text: random values,
 * random values under secret keys and carrying secrets in strings, hostile values (getters,
 * throwing Proxies, toJSON, cycles, `__proto__`, huge and deep values), both corpora, and every
 * redactor option that changes the walk.
 */
import { createLogger, createRedactor, type RedactorOptions } from 'bulwark/logger';
import { MemorySink } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fieldsWriter, fragment } from '../../src/logger/redact/redactor.js';
import { TOKEN_SHAPES } from '../../src/logger/redact/tokens.js';
import { type Hostile, hostileError, hugeOrDeep } from '../helpers/hostile.js';
import { CORPUS } from './corpus/secrets.js';

const OPTIONS: readonly RedactorOptions[] = [
  {},
  { censor: '***' },
  { keys: ['pin code', /^x-internal-/] },
  { paths: ['a.b', 'items[*].serial', 'list[1]'] },
  { maxDepth: 3, maxItems: 3, maxStringLength: 40 },
];

/** The fields fragment both ways: one walk, and redact-then-stringify. */
function both(options: RedactorOptions, make: () => object): [string, string] {
  const r = createRedactor(options);
  const write = fieldsWriter(r);
  if (write === undefined) throw new Error('a string censor must get the one-walk writer');
  // Each side gets a fresh value (a getter that changes between reads must not see the other
  // side's read), made at one call site (an Error's stack names it).
  const [a, b] = [0, 1].map(() => make()) as [object, object];
  return [write(a), fragment(r.redact(b))];
}

/** Keys the rules judge in every way: secret, metadata, counts, entries, flags, ordinary. */
const KEYS = [
  'password',
  'apiKey',
  'DB_PASS',
  'token_type',
  'prompt_tokens',
  'cookie',
  'dsn',
  'connectionString',
  'authorization',
  'name',
  'value',
  'Value',
  'key',
  'maxAge',
  'a',
  'b',
  'items',
  'serial',
  'list',
  '__proto__',
  'constructor',
  'toJSON',
  '0',
  '12',
  'pin code',
  'x-internal-sig',
  'msg "quoted"\n',
];

/** Strings with and without secrets inside, and ones only a path or key makes secret. */
const STRINGS = [
  'request done',
  'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlMTIz',
  '/v1/charges?currency=eur&api_key=k8s7df6g5h4j3k2l1',
  'postgres://app:hunter22@db:5432/main',
  'redis://default:s3cr3t@cache:6379',
  'password: must be at least 12 characters',
  '--password',
  '-u',
  'ann:hunter2',
  'DB_PASSWORD',
  ['$', '{DB_PASSWORD}'].join(''),
  'none',
  '1532',
  'line\nbreak "quoted" \u2028 \ud800 lone surrogate',
  'Authorization: SSWS 00QCjAl4MlV-WPXM-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ...TOKEN_SHAPES.slice(0, 30).map((s) => `token ${s.example} here`),
];

const leaf = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.string(),
  // Any UTF-16 code units, lone surrogates and control characters included: JSON escapes them.
  fc.string({ unit: 'binary', minLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u0001', '\ud83d', '\ude00', 'é', ' ', '='), minLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(null, undefined, Number.NaN, -0, 10n, Symbol('s'), () => 1, new Date(0), /x/),
);

const data = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), tie('value'), { maxKeys: 6 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 6, noNullPrototype: false }),
    tie('value').map(
      (inner) =>
        new Map<unknown, unknown>([
          ['apiKey', inner],
          [1, inner],
          ['1', 'x'],
        ]),
    ),
    tie('value').map((inner) => Object.assign(new Error('boom password=hunter22'), { code: 'E', cause: inner })),
    tie('value').map((inner) => ({ toJSON: () => inner })),
  ),
})).value;

/**
 * The same text; or, where a Proxy lists its own keys in another order than a spread copy has
 * them (integer keys first), the same JSON.
 */
function expectSameFields(one: string, two: string): void {
  if (one === two) return;
  expect(JSON.parse(`{${one.slice(1)}}`)).toEqual(JSON.parse(`{${two.slice(1)}}`));
}

describe('the one-walk writer writes what redact-then-stringify writes', () => {
  it('for random values under random keys, with every option', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OPTIONS), data, (options, value) => {
        const [one, two] = both(options, () => ({ v: value }));
        expect(one).toBe(two);
        if (typeof value === 'object' && value !== null) {
          const [rootOne, rootTwo] = both(options, () => value);
          expect(rootOne).toBe(rootTwo);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('for hostile values, at the root and nested', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OPTIONS), hostileError(), (options, h: Hostile) => {
        expectSameFields(...both(options, () => ({ err: h.make(), n: 1 })));
        const root = h.make();
        if (typeof root === 'object' && root !== null) expectSameFields(...both(options, () => h.make() as object));
      }),
      { numRuns: 600 },
    );
  });

  it('for huge and deep values', () => {
    fc.assert(
      fc.property(hugeOrDeep(), (h) => {
        const [one, two] = both({}, () => ({ v: h.make() }));
        expect(one).toBe(two);
      }),
      { numRuns: 20 },
    );
  });

  it('for every record of the corpus, and a line written with both writers', () => {
    for (const c of CORPUS) {
      const [one, two] = both({}, () => c.record);
      expect(one, c.id).toBe(two);
    }
    // A redactor of one's own (not made by createRedactor) keeps the redact-then-stringify way.
    const own = createRedactor();
    const wrapped = {
      redact: (v: unknown) => own.redact(v),
      redactString: (s: string) => own.redactString(s),
      secretKeyRule: (k: string) => own.secretKeyRule(k),
      explain: (v: unknown) => own.explain(v),
    };
    const lines = [own, wrapped].map((redact) => {
      const sink = new MemorySink();
      const clock = { now: () => 0 };
      createLogger({ sink, redact, clock }).info('corpus', CORPUS[0]?.record ?? {});
      return sink.lines[0];
    });
    expect(lines[0]).toBe(lines[1]);
  });

  it('leaves a censor function to redact-then-stringify (it may return anything)', () => {
    expect(fieldsWriter(createRedactor({ censor: () => ({ hidden: true }) }))).toBeUndefined();
  });
});
