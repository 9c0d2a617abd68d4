/**
 * For arbitrary layered sources the precedence rule holds: each setting comes from the highest
 * source that sets it (defaults < files in order < env < overrides), explainConfig names that
 * source, and settings no source sets keep their default.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explainConfig, loadConfig } from 'bulwark/config';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { tempDirs } from './helpers.ts';

const SETTINGS = [['alpha'], ['beta'], ['db', 'host'], ['db', 'pool', 'size']] as const;

const schema = z.object({
  alpha: z.string().default('default'),
  beta: z.string().default('default'),
  db: z.object({
    host: z.string().default('default'),
    pool: z.object({ size: z.string().default('default') }),
  }),
});

type Layer = (string | undefined)[];
const value = fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9 ._-]{0,11}$/), { nil: undefined });
const layer = fc.array(value, { minLength: SETTINGS.length, maxLength: SETTINGS.length });

function nested(l: Layer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  SETTINGS.forEach((path, i) => {
    const v = l[i];
    if (v === undefined) return;
    let target = out;
    for (const key of path.slice(0, -1)) {
      target[key] ??= {};
      target = target[key] as Record<string, unknown>;
    }
    target[path[path.length - 1] as string] = v;
  });
  return out;
}

const files = tempDirs();

describe('precedence', () => {
  it('the highest source that sets a setting wins, for any layering', () => {
    fc.assert(
      fc.property(fc.array(layer, { maxLength: 3 }), layer, layer, (fileLayers, envLayer, overrideLayer) => {
        const dir = files.dir();
        const paths = fileLayers.map((l, i) => {
          const path = join(dir, i % 2 === 0 ? `f${i}.yaml` : `f${i}.json`);
          writeFileSync(path, i % 2 === 0 ? stringify(nested(l)) : JSON.stringify(nested(l)));
          return path;
        });
        const env: Record<string, string> = {};
        SETTINGS.forEach((path, i) => {
          const v = envLayer[i];
          if (v !== undefined) env[`APP_${path.map((s) => s.toUpperCase()).join('__')}`] = v;
        });
        const options = { schema, files: paths, env, envPrefix: 'APP_', overrides: nested(overrideLayer) };
        const config = loadConfig(options) as unknown as Record<string, Record<string, unknown>>;
        const explained = new Map(explainConfig(options).settings.map((s) => [s.path, s]));

        SETTINGS.forEach((path, i) => {
          const candidates: [string | undefined, string][] = [
            ...fileLayers.map((l, f) => [l[i], `file ${paths[f]}`] as [string | undefined, string]),
            [envLayer[i], `env APP_${path.map((s) => s.toUpperCase()).join('__')}`],
            [overrideLayer[i], 'override'],
          ];
          const winner = candidates.filter(([v]) => v !== undefined).pop();
          let got: unknown = config;
          for (const key of path) got = (got as Record<string, unknown>)[key];
          expect(got).toBe(winner ? winner[0] : 'default');
          const source = explained.get(path.join('.'))?.source ?? '';
          if (winner) expect(source.startsWith(winner[1])).toBe(true);
          else expect(source).toBe('default');
        });
      }),
      { numRuns: 60 },
    );
  });
});
