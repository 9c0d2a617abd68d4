/**
 * loadConfig and explainConfig take user data from overrides, files and the environment. For any
 * hostile input (getters, Proxies whose traps throw, toJSON, cycles, __proto__ keys, huge or deep
 * values) they return, or throw a ConfigError (or a TypeError naming a bad option), and never
 * touch a prototype.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, explainConfig, loadConfig } from 'bulwark/config';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempDirs } from '../config/helpers.ts';
import { hostileValue, hugeOrDeep, protoKeyed, prototypeSnapshot, prototypesClean } from '../helpers/hostile.js';

const files = tempDirs();
const before = prototypeSnapshot();
const schemas = [
  z.record(z.string(), z.unknown()),
  z.looseObject({ db: z.looseObject({ host: z.string().default('h') }).default({ host: 'h' }) }),
  z.object({ nested: z.unknown().optional(), db: z.record(z.string(), z.string()).optional() }),
];
const schema = fc.constantFrom(...schemas);

afterEach(() => {
  for (const key of ['isAdmin', 'polluted', 'host']) delete (Object.prototype as Record<string, unknown>)[key];
});

/** Runs `fn`; it may return or throw a ConfigError or TypeError, nothing else. */
function outcome(fn: () => unknown): 'ok' | 'refused' {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TypeError) return 'refused';
    throw error;
  }
}

describe('loadConfig on hostile input', () => {
  it('overrides: any hostile value, at the top or nested', () => {
    fc.assert(
      fc.property(schema, hostileValue(), fc.boolean(), (s, h, top) => {
        const overrides = top ? h.make() : { nested: h.make() };
        outcome(() => loadConfig({ schema: s, env: {}, overrides: overrides as Record<string, unknown> }));
        outcome(() => explainConfig({ schema: s, env: {}, overrides: overrides as Record<string, unknown> }));
        expect(prototypesClean(before)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('overrides: huge and deep values end quickly with a result or a ConfigError', () => {
    fc.assert(
      fc.property(hugeOrDeep(), (h) => {
        outcome(() => loadConfig({ schema: schemas[0] as (typeof schemas)[0], env: {}, overrides: { big: h.make() } }));
      }),
      { numRuns: 15 },
    );
  });

  it('files: __proto__, constructor and prototype keys in JSON and YAML never pollute', () => {
    const dir = files.dir();
    fc.assert(
      fc.property(schema, protoKeyed(), fc.constantFrom('json', 'yaml'), (s, data, ext) => {
        const file = join(dir, `app.${ext}`);
        // JSON is YAML too: a YAML parser reads the same keys.
        writeFileSync(file, JSON.stringify(data));
        const result = outcome(() => loadConfig({ schema: s, env: {}, files: [file] }));
        if (JSON.stringify(data).includes('__proto__')) expect(result).toBe('refused');
        expect(prototypesClean(before)).toBe(true);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('env: a hostile environment object, or hostile JSON values in it', () => {
    fc.assert(
      fc.property(schema, hostileValue(), protoKeyed(), (s, h, data) => {
        outcome(() => loadConfig({ schema: s, env: h.make() as Record<string, string> }));
        outcome(() =>
          loadConfig({ schema: s, env: { APP_DB: JSON.stringify(data), APP_NESTED: '{"a":1}' }, envPrefix: 'APP_' }),
        );
        expect(prototypesClean(before)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
