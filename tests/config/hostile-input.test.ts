/**
 * Issue 14: input from any source (overrides, YAML, JSON, .env, env variables, includes) never
 * touches a prototype and is never read through one; a FIFO, a device or a huge file is refused;
 * includes are read once and bounded; deep nesting is a ConfigError; `${X:-${Y:-d}}` works; an
 * unset variable is reported once.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, explainConfig, loadConfig, watchConfig } from 'bulwark/config';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deepValue, prototypeSnapshot, prototypesClean } from '../helpers/hostile.js';
import { errorOf, tempDirs } from './helpers.ts';

const files = tempDirs();
const before = prototypeSnapshot();

afterEach(() => {
  // A failed test must not leave a polluted prototype behind for the next one.
  for (const key of ['isAdmin', 'polluted', 'host']) delete (Object.prototype as Record<string, unknown>)[key];
});

const loose = z.looseObject({ db: z.looseObject({ host: z.string().default('db') }).default({ host: 'db' }) });
const records = z.record(z.string(), z.unknown());

describe('prototype pollution', () => {
  it.each([
    ['overrides at the top', '{"__proto__": {"isAdmin": true}}'],
    ['overrides nested', '{"db": {"__proto__": {"isAdmin": true}}}'],
  ])('loadConfig refuses __proto__ in %s and leaves Object.prototype alone', (_label, json) => {
    for (const schema of [loose, records]) {
      const error = errorOf(() => loadConfig({ schema, env: {}, overrides: JSON.parse(json) }));
      expect(error.issues.some((i) => i.message.includes('__proto__'))).toBe(true);
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    }
    expect(prototypesClean(before)).toBe(true);
  });

  it('explainConfig and watchConfig refuse it too', () => {
    const overrides = JSON.parse('{"db": {"__proto__": {"isAdmin": true}}}');
    const { issues } = explainConfig({ schema: loose, env: {}, overrides });
    expect(issues.some((i) => i.message.includes('__proto__'))).toBe(true);
    expect(() => watchConfig({ schema: loose, env: {}, overrides })).toThrow(ConfigError);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('a YAML __proto__ key is refused, never read through inheritance', () => {
    const file = files.write('app.yaml', 'db: { __proto__: { host: x } }\n');
    const error = errorOf(() => loadConfig({ schema: loose, env: {}, files: [file] }));
    expect(error.issues[0]).toMatchObject({ path: 'db.__proto__', source: `file ${file}:1` });
    expect(error.issues[0]?.message).toMatch(/__proto__/);
  });

  it('a JSON file, an env JSON value and a .env file cannot pollute either', () => {
    const json = files.write('app.json', '{"db": {"__proto__": {"polluted": "yes"}}}');
    expect(() => loadConfig({ schema: loose, env: {}, files: [json] })).toThrow(ConfigError);
    const schema = z.object({ extra: z.record(z.string(), z.string()).default({}) });
    expect(() =>
      loadConfig({ schema, env: { APP_EXTRA: '{"__proto__": {"polluted": "yes"}}' }, envPrefix: 'APP_' }),
    ).toThrow(ConfigError);
    expect(prototypesClean(before)).toBe(true);
  });

  it('constructor and prototype are ordinary keys, never read from Object.prototype', () => {
    const config = loadConfig({
      schema: z.object({ constructor: z.string().default('mine'), plain: z.string().default('${constructor:-none}') }),
      env: {},
      files: [files.write('c.yaml', 'plain: "${constructor:-none}"\n')],
    });
    expect(config.constructor).toBe('mine');
    expect(config.plain).toBe('none');
  });

  it('an env object with inherited variables is read for its own keys only', () => {
    const env = Object.create({ APP_DB__HOST: 'inherited' }) as Record<string, string>;
    const config = loadConfig({ schema: loose, env, envPrefix: 'APP_' });
    expect(config.db.host).toBe('db');
  });
});

describe('files that are not regular files, or too big', () => {
  it('refuses a FIFO at once instead of blocking', () => {
    const dir = files.dir();
    const fifo = join(dir, 'app.yaml');
    execFileSync('mkfifo', [fifo]);
    const error = errorOf(() => loadConfig({ schema: loose, env: {}, files: [fifo] }));
    expect(error.issues[0]?.message).toMatch(/FIFO.*not a regular file/);
  });

  it('refuses a symlink to /dev/zero, as a file and as an include', () => {
    const dir = files.dir();
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'));
    writeFileSync(join(dir, 'app.yaml'), '$include: zero.yaml\n');
    expect(errorOf(() => loadConfig({ schema: loose, env: {}, files: [join(dir, 'zero.yaml')] })).message).toMatch(
      /character device, not a regular file/,
    );
    expect(errorOf(() => loadConfig({ schema: loose, env: {}, files: [join(dir, 'app.yaml')] })).message).toMatch(
      /included file .*zero\.yaml is a character device/,
    );
  });

  it('refuses a file over the 10 MiB limit', () => {
    const big = files.write('big.yaml', `a: "${'x'.repeat(10 * 1024 * 1024)}"\n`);
    expect(errorOf(() => loadConfig({ schema: loose, env: {}, files: [big] })).message).toMatch(
      /over the limit of 10485760 bytes/,
    );
  });
});

describe('includes', () => {
  it('reads a file included many times once, and bounds the total', () => {
    const dir = files.dir();
    // Each level includes the next twice: 2^18 inclusions if followed naively.
    for (let i = 0; i < 18; i++) writeFileSync(join(dir, `l${i}.yaml`), `$include: [l${i + 1}.yaml, l${i + 1}.yaml]\n`);
    writeFileSync(join(dir, 'l18.yaml'), 'a: 1\n');
    const started = performance.now();
    const error = errorOf(() => loadConfig({ schema: records, env: {}, files: [join(dir, 'l0.yaml')] }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error.message).toMatch(/more than 1000 includes/);
    expect(error.issues).toHaveLength(1);
  });

  it('a file included twice is merged at both places, in order', () => {
    const dir = files.dir();
    writeFileSync(join(dir, 'base.yaml'), 'a: base\n');
    writeFileSync(join(dir, 'mid.yaml'), 'a: mid\n');
    writeFileSync(join(dir, 'app.yaml'), '$include: [base.yaml, mid.yaml, base.yaml]\n');
    expect(loadConfig({ schema: records, env: {}, files: [join(dir, 'app.yaml')] })).toEqual({ a: 'base' });
  });

  it('a chain of 2,000 includes is a ConfigError naming the depth limit', () => {
    const dir = files.dir();
    for (let i = 0; i < 2000; i++) writeFileSync(join(dir, `c${i}.yaml`), `$include: c${i + 1}.yaml\n`);
    writeFileSync(join(dir, 'c2000.yaml'), 'a: 1\n');
    const error = errorOf(() => loadConfig({ schema: records, env: {}, files: [join(dir, 'c0.yaml')] }));
    expect(error.message).toMatch(/more than 32 levels deep/);
  }, 20_000);
});

describe('deeply nested input', () => {
  it.each([
    ['3,000 nested arrays in JSON', 'deep.json', () => JSON.stringify({ a: deepValue(3000, 'array') })],
    ['10,000 nested objects in JSON', 'deep.json', () => `{"a":${'{"k":'.repeat(10_000)}1${'}'.repeat(10_001)}`],
    ['10,000 nested flow mappings in YAML', 'deep.yaml', () => `a: ${'{k: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`],
    ['3,000 nested flow sequences in YAML', 'deep.yaml', () => `a: ${'['.repeat(3000)}${']'.repeat(3000)}\n`],
  ])('%s is a ConfigError, not a RangeError', (_label, name, text) => {
    const file = files.write(name, text());
    const error = errorOf(() => loadConfig({ schema: records, env: {}, files: [file] }));
    expect(error.message).toMatch(/nested more than 64 levels deep/);
  });

  it('deep overrides and cyclic overrides are a ConfigError', () => {
    expect(
      errorOf(() => loadConfig({ schema: records, env: {}, overrides: { a: deepValue(10_000, 'object') } })).message,
    ).toMatch(/nested more than 64 levels deep/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(errorOf(() => loadConfig({ schema: records, env: {}, overrides: cycle })).message).toMatch(/cycle/);
  });
});

describe('${VAR} expansion', () => {
  const schema = z.object({ url: z.string() });

  it('supports nested defaults', () => {
    const file = files.write('app.yaml', 'url: "${X:-${Y:-d}}"\n');
    expect(loadConfig({ schema, env: {}, files: [file] }).url).toBe('d');
    expect(loadConfig({ schema, env: { Y: 'y' }, files: [file] }).url).toBe('y');
    expect(loadConfig({ schema, env: { X: 'x', Y: 'y' }, files: [file] }).url).toBe('x');
    const deeper = files.write('deeper.yaml', 'url: "a-${X:-${Y:-${Z:-z}-b}}-c"\n');
    expect(loadConfig({ schema, env: {}, files: [deeper] }).url).toBe('a-z-b-c');
  });

  it('reports an unclosed nested default instead of leaving literal text', () => {
    const file = files.write('app.yaml', 'url: "${X:-${Y:-d}"\n');
    expect(errorOf(() => loadConfig({ schema, env: {}, files: [file] })).message).toMatch(/not closed/);
  });

  it('reports each unset variable once, however often it is used', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `k${i}: "\${NOPE}"`).join('\n');
    const file = files.write('many.yaml', `${lines}\nother: "\${ALSO_NOPE}"\n`);
    const error = errorOf(() => loadConfig({ schema: records, env: {}, files: [file] }));
    expect(error.issues).toHaveLength(2);
    expect(error.issues[0]?.message).toMatch(/NOPE is not set.*also used by 9999 more settings/);
  });
});

describe('loading time grows linearly with the number of settings', () => {
  const flat = (n: number) => Array.from({ length: n }, (_, i) => `key${i}: value-${i}`).join('\n');
  const timeToLoad = (n: number): number => {
    const file = files.write(`flat-${n}.yaml`, flat(n));
    const started = performance.now();
    const config = loadConfig({ schema: records, env: {}, files: [file] });
    const ms = performance.now() - started;
    expect(Object.keys(config)).toHaveLength(n);
    return ms;
  };

  it('four times the settings take about four times as long, not sixteen', () => {
    timeToLoad(2_000); // warm up the parser and zod
    const small = Math.min(timeToLoad(10_000), timeToLoad(10_000));
    const large = timeToLoad(40_000);
    // Linear gives 4; the quadratic loader gave 16 and more (40,000 keys took minutes).
    expect(large / small).toBeLessThan(9);
  }, 60_000);
});
