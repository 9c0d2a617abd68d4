/**
 * How a YAML file becomes settings (one walk over the parsed document, decision 0009): duplicate
 * keys, anchors and aliases under a budget, keys that are not names, the line of each key, and the
 * parser run with a plain `process.env` that is always put back. For any data the `yaml` package
 * writes, shared objects (anchors and aliases) included, the value is what its own `parse` reads.
 */
import { loadConfig } from 'bulwark/config';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { errorOf, tempDirs } from './helpers.ts';

const files = tempDirs();
const records = z.record(z.string(), z.unknown());

const load = (text: string) => loadConfig({ schema: records, env: {}, files: [files.write('app.yaml', text)] });

describe('duplicate keys', () => {
  it('are invalid YAML, with the line of the repeated key, at any level', () => {
    const file = files.write('app.yaml', 'a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n');
    const error = errorOf(() => loadConfig({ schema: records, env: {}, files: [file] }));
    expect(error.issues).toEqual([
      { path: '', source: `file ${file}:5`, message: 'invalid YAML: Map keys must be unique; "c" is repeated' },
    ]);
  });

  it('include keys that name the same setting: true and "true", 1 and "1"', () => {
    expect(errorOf(() => load('true: 1\n"true": 2\n')).message).toMatch(/"true" is repeated/);
    expect(errorOf(() => load('1: a\n"1": b\n')).message).toMatch(/"1" is repeated/);
  });

  it('are found in a mapping of 50,000 keys in well under a second of parsing on top', () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `k${i}: v`);
    lines.push('k17: again');
    const started = performance.now();
    expect(errorOf(() => load(`${lines.join('\n')}\n`)).message).toMatch(/"k17" is repeated/);
    // The parser's own check compared every key with every other: minutes for this file.
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 30_000);
});

describe('anchors and aliases', () => {
  const server = z.object({ host: z.string(), port: z.number() });

  it('an alias is a copy of what its anchor marks', () => {
    const config = load('base: &b { host: h, port: 1 }\nx: *b\nlist: [*b, *b]\n');
    expect(config).toEqual({ base: { host: 'h', port: 1 }, x: { host: 'h', port: 1 }, list: [config.x, config.x] });
    expect(config.x).not.toBe(config.base);
  });

  it('takes the last anchor of that name before the alias, as the YAML spec says', () => {
    expect(load('a: &v 1\nb: *v\nc: &v 2\nd: *v\n')).toEqual({ a: 1, b: 1, c: 2, d: 2 });
  });

  it('a setting refused inside an alias names the line of the alias', () => {
    const file = files.write('app.yaml', 'base: &b\n  host: h\n  port: nope\nx: *b\n');
    const error = errorOf(() => loadConfig({ schema: z.object({ base: server, x: server }), env: {}, files: [file] }));
    expect(error.issues.map((i) => [i.path, i.source])).toEqual([
      ['base.port', `file ${file}:3`],
      ['x.port', `file ${file}:4`],
    ]);
  });

  it('an anchor used 1,000 times loads (the parser refused it from the 101st use)', () => {
    const uses = Array.from({ length: 1000 }, (_, i) => `s${i}: *d`).join('\n');
    const config = load(`d: &d { timeoutMs: 100, retries: 3 }\n${uses}\n`);
    expect(Object.keys(config)).toHaveLength(1001);
    expect(config.s999).toEqual({ timeoutMs: 100, retries: 3 });
  });

  it('a "billion laughs" is refused at once, naming the limit', () => {
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const started = performance.now();
    const error = errorOf(() => load(`${levels.join('\n')}\n`));
    expect(error.message).toMatch(/aliases expand to more than 100000 values/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('an alias inside what it names is a cycle; an unknown alias is invalid YAML with its line', () => {
    const cycle = files.write('cycle.yaml', 'a: &x [1, *x]\n');
    expect(errorOf(() => loadConfig({ schema: records, env: {}, files: [cycle] })).issues).toEqual([
      { path: 'a[1]', source: `file ${cycle}:1`, message: 'contains itself (a cycle)' },
    ]);
    const unknown = files.write('unknown.yaml', 'a: 1\nb: *nope\n');
    expect(errorOf(() => loadConfig({ schema: records, env: {}, files: [unknown] })).issues).toEqual([
      {
        path: '',
        source: `file ${unknown}:2`,
        message: 'invalid YAML: Unresolved alias (the anchor must be set before the alias): nope',
      },
    ]);
  });

  it('a __proto__ key reached through an alias is refused there too', () => {
    const error = errorOf(() => load('p: &p { __proto__: { x: 1 } }\nq: *p\n'));
    expect(error.issues.map((i) => i.path)).toEqual(['p.__proto__', 'q.__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('block-style files (read from the parser tokens) keep every protection', () => {
  it('a __proto__ key is refused with its path and line', () => {
    const file = files.write('app.yaml', 'db:\n  host: h\n  __proto__:\n    host: x\n');
    const error = errorOf(() => loadConfig({ schema: records, env: {}, files: [file] }));
    expect(error.issues).toMatchObject([{ path: 'db.__proto__', source: `file ${file}:3` }]);
    expect(({} as Record<string, unknown>).host).toBeUndefined();
  });

  it('nesting past 64 levels is refused', () => {
    const text = Array.from({ length: 70 }, (_, i) => `${' '.repeat(2 * i)}k${i}:`).join('\n');
    expect(errorOf(() => load(`${text} 1\n`)).message).toMatch(/nested more than 64 levels deep/);
  });

  it('a tab used as indentation is invalid YAML, as the parser says', () => {
    expect(errorOf(() => load('a:\n\tb: 1\n')).message).toMatch(/invalid YAML/);
  });
});

describe('keys', () => {
  it.each([
    ['a list', '? [a, b]\n: 1\n'],
    ['a mapping', '? {a: 1}\n: 1\n'],
    ['null', '~: 1\n'],
  ])('a key that is %s is refused', (_label, text) => {
    expect(errorOf(() => load(text)).message).toMatch(/a key must be a string or a number/);
  });

  it('names the line of each key; a list is one setting, named by its key', () => {
    const file = files.write('app.yaml', 'a: 1\nlist:\n  - x\n  - port: nope\nnested:\n\n  deep:\n    port: nope\n');
    const schema = z.object({
      a: z.number(),
      list: z.tuple([z.string(), z.object({ port: z.number() })]),
      nested: z.object({ deep: z.object({ port: z.number(), missing: z.string() }) }),
    });
    const error = errorOf(() => loadConfig({ schema, env: {}, files: [file] }));
    expect(error.issues.map((i) => [i.path, i.source])).toEqual([
      ['list[1].port', `file ${file}:2`],
      ['nested.deep.port', `file ${file}:8`],
      ['nested.deep.missing', 'not set'],
    ]);
  });
});

describe('the parser runs with a plain process.env', () => {
  it('and the real one is back after a load, an invalid file and input that overflows the parser', () => {
    const env = process.env;
    load('a: 1\n');
    expect(process.env).toBe(env);
    errorOf(() => load('a: [unclosed\n'));
    expect(process.env).toBe(env);
    errorOf(() => load(`a: ${'{k: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`));
    expect(process.env).toBe(env);
  });

  it('and parses as it is where process.env cannot be replaced', () => {
    const descriptor = Object.getOwnPropertyDescriptor(process, 'env') as PropertyDescriptor;
    Object.defineProperty(process, 'env', { ...descriptor, writable: false });
    try {
      expect(load('a: 1\n')).toEqual({ a: 1 });
      expect(process.env).toBe(descriptor.value);
    } finally {
      Object.defineProperty(process, 'env', descriptor);
    }
  });

  it('while variables from the real environment are still expanded', () => {
    process.env.BULWARK_YAML_TEST = 'from-env';
    try {
      const file = files.write('app.yaml', 'url: "${BULWARK_YAML_TEST}"\n');
      expect(loadConfig({ schema: records, files: [file] }).url).toBe('from-env');
    } finally {
      delete process.env.BULWARK_YAML_TEST;
    }
  });
});

describe('the value is what the yaml package reads', () => {
  const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__' && k !== '$include');
  // `${` would be expanded from the environment; everything else is kept as written.
  const leaf = fc.oneof(
    fc.string({ maxLength: 12 }).filter((s) => !s.includes('${')),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
    ),
  }));

  it('for any data, with objects shared between settings (written as anchors and aliases)', () => {
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 6 }), fc.dictionary(key, tree, { maxKeys: 3 }), (top, shared) => {
        // The same object at two places: stringify writes it once with an anchor, then an alias.
        const text = stringify({ ...top, first: shared, second: [shared, shared] });
        const file = files.write('app.yaml', text);
        expect(loadConfig({ schema: records, env: {}, files: [file] })).toEqual(parse(text));
      }),
      { numRuns: 150 },
    );
  }, 30_000);
});
