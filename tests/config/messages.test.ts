/** Issue 13 item 6: what a ConfigError says when a newcomer gets a setting wrong. */
import { spawnSync } from 'node:child_process';
import { inspect } from 'node:util';
import { ConfigError } from 'bulwark';
import { loadConfig } from 'bulwark/config';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorOf, tempDirs } from './helpers.ts';

const files = tempDirs();

describe('config messages', () => {
  it('an unset variable in a secret setting names the variable, and the hint is not masked', () => {
    const file = files.write('app.yaml', 'provider:\n  apiKey: ${PROVIDER_API_KEY}\n');
    const schema = z.object({ provider: z.object({ apiKey: z.string() }) });
    const error = errorOf(() => loadConfig({ schema, files: [file], env: {} }));
    expect(error.issues[0]?.message).toBe(
      'environment variable PROVIDER_API_KEY is not set, and its reference has no default; set PROVIDER_API_KEY, or give a default as in ${NAME:-default}',
    );
    expect(error.message).not.toContain('[REDACTED]');
  });

  it('suggests the setting for a swapped pair of letters, as for a doubled one', () => {
    const schema = z.object({ port: z.coerce.number().default(8080) });
    for (const typo of ['APP_PROT', 'APP_PORTT', 'APP_POT']) {
      const error = errorOf(() => loadConfig({ schema, env: { [typo]: '1' }, envPrefix: 'APP_' }));
      expect(error.issues[0]?.message, typo).toBe(`${typo} matches no setting; did you mean APP_PORT?`);
    }
    const far = errorOf(() => loadConfig({ schema, env: { APP_HOST: 'x' }, envPrefix: 'APP_' }));
    expect(far.issues[0]?.message).toBe('APP_HOST matches no setting');
  });

  it('prints its list once: inspect shows no stack, and an uncaught one no issues array', () => {
    const error = new ConfigError([
      { path: 'port', source: 'env APP_PORT', message: 'expected a number' },
      { path: 'db.url', source: 'not set', message: 'required' },
    ]);
    expect(inspect(error)).toBe(
      'ConfigError [ERR_CONFIG]: invalid configuration (2 problems):\n  - port (env APP_PORT): expected a number\n  - db.url (not set): required',
    );
    expect(error.issues).toHaveLength(2);
    expect(error.code).toBe('ERR_CONFIG');
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { ConfigError } = await import(${JSON.stringify(new URL('../../src/core/errors.ts', import.meta.url).href)});
         const issues = [{ path: 'port', source: 'env APP_PORT', message: 'expected ' + 'a number' }];
         throw new ConfigError(issues);`,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr.match(/expected a number/g)).toHaveLength(1);
    expect(run.stderr).not.toContain('issues:');
  });
});
