import { inspect } from 'node:util';
import { explainConfig, loadConfig, secret } from 'bulwark/config';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorOf, tempDirs } from './helpers.ts';

const files = tempDirs();

describe('loadConfig: sources and precedence', () => {
  const schema = z.object({
    port: z.int().default(8080),
    host: z.string().default('0.0.0.0'),
    db: z.object({ url: z.string(), pool: z.int().default(10) }),
  });

  it('layers defaults < files in order < env < overrides', () => {
    const a = files.write('a.yaml', 'host: from-a\ndb:\n  url: a-url\n  pool: 1\n');
    const b = files.write('b.json', '{ "db": { "pool": 2 } }');
    const config = loadConfig({
      schema,
      files: [a, b],
      env: { APP_DB__URL: 'env-url' },
      envPrefix: 'APP_',
      overrides: { host: 'override' },
    });
    expect(config).toEqual({ port: 8080, host: 'override', db: { url: 'env-url', pool: 2 } });
  });

  it('returns the schema output deeply frozen', () => {
    const config = loadConfig({ schema, env: { APP_DB__URL: 'u' }, envPrefix: 'APP_' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.db)).toBe(true);
    expect(() => {
      (config.db as { url: string }).url = 'x';
    }).toThrow(TypeError);
  });

  it('reads YAML, JSON and .env files by extension, and skips a missing optional file', () => {
    const yaml = files.write('app.yml', 'db:\n  url: yaml-url\n');
    const dotenv = files.write('.env', '# local\nexport APP_DB__POOL=7\nAPP_PORT="9090" # comment\n');
    const config = loadConfig({
      schema,
      files: [yaml, dotenv, { path: `${files.dir()}/missing.yaml`, optional: true }],
      env: {},
      envPrefix: 'APP_',
    });
    expect(config).toEqual({ port: 9090, host: '0.0.0.0', db: { url: 'yaml-url', pool: 7 } });
  });

  it('replaces arrays whole instead of merging them', () => {
    const s = z.object({ hosts: z.array(z.string()) });
    const a = files.write('a.yaml', 'hosts: [a, b, c]\n');
    const b = files.write('b.yaml', 'hosts: [d]\n');
    expect(loadConfig({ schema: s, files: [a, b], env: {} }).hosts).toEqual(['d']);
  });
});

describe('loadConfig: env naming and coercion', () => {
  const schema = z.object({
    debug: z.boolean(),
    workers: z.int(),
    ratio: z.number(),
    mode: z.enum(['fast', 'safe']),
    tags: z.array(z.string()).default([]),
    ports: z.array(z.int()).default([]),
    db: z.object({ maxConnections: z.int().default(5), name: z.string().optional() }),
  });
  const base = { APP_DEBUG: 'true', APP_WORKERS: '4', APP_RATIO: '0.5', APP_MODE: 'safe' };

  it('nests on __ and matches camelCase keys', () => {
    const config = loadConfig({ schema, env: { ...base, APP_DB__MAX_CONNECTIONS: '20' }, envPrefix: 'APP_' });
    expect(config.db.maxConnections).toBe(20);
  });

  it.each([
    ['false', false],
    ['0', false],
    ['no', false],
    ['off', false],
    ['FALSE', false],
    ['true', true],
    ['1', true],
    ['yes', true],
    ['on', true],
  ])('reads %j as the boolean %j (never Boolean("false"))', (text, want) => {
    expect(loadConfig({ schema, env: { ...base, APP_DEBUG: text }, envPrefix: 'APP_' }).debug).toBe(want);
  });

  it('reads lists as JSON or comma-separated, elements coerced', () => {
    const config = loadConfig({
      schema,
      env: { ...base, APP_TAGS: 'a, b,c', APP_PORTS: '[80, 443]' },
      envPrefix: 'APP_',
    });
    expect(config.tags).toEqual(['a', 'b', 'c']);
    expect(config.ports).toEqual([80, 443]);
  });

  it('treats an empty string as unset', () => {
    const config = loadConfig({ schema, env: { ...base, APP_DB__MAX_CONNECTIONS: '' }, envPrefix: 'APP_' });
    expect(config.db.maxConnections).toBe(5);
    const error = errorOf(() => loadConfig({ schema, env: { ...base, APP_WORKERS: '' }, envPrefix: 'APP_' }));
    expect(error.issues).toEqual([
      {
        path: 'workers',
        source: 'not set',
        message: 'required (a whole number) but not set; set APP_WORKERS or "workers" in a config file',
      },
    ]);
  });

  it('refuses what does not coerce, naming the variable and the value', () => {
    const error = errorOf(() =>
      loadConfig({
        schema,
        env: { ...base, APP_DEBUG: 'maybe', APP_WORKERS: '2.5', APP_RATIO: 'half', APP_PORTS: '80,http' },
        envPrefix: 'APP_',
      }),
    );
    expect(error.issues).toEqual([
      {
        path: 'debug',
        source: 'env APP_DEBUG',
        message: 'expected a boolean (true/false, 1/0, yes/no, on/off); got "maybe"',
      },
      { path: 'workers', source: 'env APP_WORKERS', message: 'expected a whole number; got "2.5"' },
      { path: 'ratio', source: 'env APP_RATIO', message: 'expected a number; got "half"' },
      {
        path: 'ports',
        source: 'env APP_PORTS',
        message: 'expected a comma-separated list of whole numbers; got "80,http"',
      },
    ]);
  });

  it('refuses a prefixed variable that matches no setting, suggesting the near one', () => {
    const error = errorOf(() =>
      loadConfig({ schema, env: { ...base, APP_DB__MAX_CONECTIONS: '3', APP_NOPE: '1' }, envPrefix: 'APP_' }),
    );
    expect(error.issues).toEqual([
      {
        path: 'db.max_conections',
        source: 'env APP_DB__MAX_CONECTIONS',
        message: 'APP_DB__MAX_CONECTIONS matches no setting; did you mean APP_DB__MAX_CONNECTIONS?',
      },
      { path: 'nope', source: 'env APP_NOPE', message: 'APP_NOPE matches no setting' },
    ]);
  });

  it('without a prefix reads only variables named like a setting', () => {
    const s = z.object({ port: z.int(), db: z.object({ url: z.string() }) });
    const config = loadConfig({ schema: s, env: { PORT: '3000', DB__URL: 'u', PATH: '/usr/bin', HOME: '/root' } });
    expect(config).toEqual({ port: 3000, db: { url: 'u' } });
  });

  it('reads process.env when no env is given', () => {
    process.env.BULWARK_TEST__PORT = '4321';
    try {
      const config = loadConfig({ schema: z.object({ port: z.int() }), envPrefix: 'BULWARK_TEST__' });
      expect(config.port).toBe(4321);
    } finally {
      delete process.env.BULWARK_TEST__PORT;
    }
  });
});

describe('loadConfig: includes', () => {
  const schema = z.object({ name: z.string(), db: z.object({ url: z.string(), pool: z.int() }) });

  it('merges included files under the including one, relative to it', () => {
    const dir = files.dir();
    files.write('base.yaml', 'name: base\ndb:\n  url: base-url\n  pool: 1\n');
    files.write('pool.json', '{ "db": { "pool": 3 } }');
    const main = files.write('app.yaml', '$include: [base.yaml, pool.json]\nname: app\n');
    expect(dir).toBeTruthy();
    expect(loadConfig({ schema, files: [main], env: {} })).toEqual({ name: 'app', db: { url: 'base-url', pool: 3 } });
  });

  it('names the including file and line for a missing include', () => {
    const main = files.write('app.yaml', 'name: app\n$include: nope.yaml\n');
    const error = errorOf(() => loadConfig({ schema, files: [main], env: {} }));
    expect(error.issues[0]).toEqual({
      path: '',
      source: `file ${main}:2`,
      message: `included file ${main.replace('app.yaml', 'nope.yaml')} does not exist`,
    });
  });

  it('names the file and line of invalid YAML or JSON in an include', () => {
    files.write('bad.yaml', 'name: a\ndb:\n  url: [unclosed\n');
    files.write('bad.json', '{\n  "name": "a",\n}\n');
    const main = files.write('app.yaml', '$include: [bad.yaml, bad.json]\n');
    const error = errorOf(() => loadConfig({ schema, files: [main], env: {} }));
    const sources = error.issues.map((i) => i.source);
    expect(sources).toContain(`file ${main.replace('app.yaml', 'bad.yaml')}:4`);
    expect(sources).toContain(`file ${main.replace('app.yaml', 'bad.json')}:3`);
    expect(error.issues.filter((i) => i.message.startsWith('invalid YAML'))).toHaveLength(1);
    expect(error.issues.filter((i) => i.message.startsWith('invalid JSON'))).toHaveLength(1);
  });

  it('reports an include cycle with the chain', () => {
    const a = files.write('a.yaml', '$include: b.yaml\nname: a\n');
    const b = files.write('b.yaml', '$include: [a.yaml]\n');
    const error = errorOf(() => loadConfig({ schema, files: [a], env: {} }));
    expect(error.issues[0]).toEqual({
      path: '',
      source: `file ${b}:1`,
      message: `include cycle: ${a} -> ${b} -> ${a}`,
    });
  });
});

describe('loadConfig: ${VAR} expansion', () => {
  const schema = z.object({ url: z.string(), greeting: z.string().optional(), literal: z.string().optional() });

  it('expands from the environment, with defaults and the $${ escape', () => {
    const file = files.write(
      'app.yaml',
      'url: "http://${HOST}:${PORT:-80}/"\ngreeting: "${EMPTY:-hi}"\nliteral: "$${NOT_EXPANDED}"\n',
    );
    const config = loadConfig({ schema, files: [file], env: { HOST: 'api', EMPTY: '' } });
    expect(config).toEqual({ url: 'http://api:80/', greeting: 'hi', literal: '${NOT_EXPANDED}' });
  });

  it('an unset variable with no default names the file, line, key and variable', () => {
    const file = files.write('app.yaml', 'greeting: hi\nurl: "http://${API_HOST}/"\n');
    const error = errorOf(() => loadConfig({ schema, files: [file], env: {} }));
    expect(error.issues).toEqual([
      {
        path: 'url',
        source: `file ${file}:2`,
        message:
          'environment variable API_HOST is not set, and its reference has no default; set API_HOST, or give a default as in ${NAME:-default}',
      },
    ]);
  });

  it('expands after parsing, so a value cannot inject structure', () => {
    const file = files.write('app.yaml', 'url: "${EVIL}"\n');
    const config = loadConfig({ schema, files: [file], env: { EVIL: 'x\ngreeting: injected' } });
    expect(config).toEqual({ url: 'x\ngreeting: injected' });
  });
});

describe('ConfigError', () => {
  it('lists every problem at once, each with path, source and message', () => {
    const schema = z.object({
      port: z.int().min(1).max(65535),
      db: z.object({ url: z.url(), pool: z.int() }),
      mode: z.enum(['a', 'b']),
    });
    const file = files.write('app.yaml', 'port: 70000\nmode: c\ndb:\n  pool: "x"\n');
    const error = errorOf(() => loadConfig({ schema, files: [file], env: {}, envPrefix: 'APP_' }));
    expect(error.issues.map((i) => [i.path, i.source])).toEqual([
      ['port', `file ${file}:1`],
      ['db.url', 'not set'],
      ['db.pool', `file ${file}:4`],
      ['mode', `file ${file}:2`],
    ]);
    expect(error.message).toBe(
      [
        'invalid configuration (4 problems):',
        `  - port (file ${file}:1): Too big: expected number to be <=65535; got 70000`,
        '  - db.url (not set): required (a string) but not set; set APP_DB__URL or "db.url" in a config file',
        `  - db.pool (file ${file}:4): Invalid input: expected number, received string; got "x"`,
        `  - mode (file ${file}:2): Invalid option: expected one of "a"|"b"; got "c"`,
      ].join('\n'),
    );
    expect(error.code).toBe('ERR_CONFIG');
  });

  it('has no hidden localhost defaults: a missing required setting is an error', () => {
    const error = errorOf(() => loadConfig({ schema: z.object({ db: z.object({ host: z.string() }) }), env: {} }));
    expect(error.issues.map((i) => i.path)).toEqual(['db.host']);
  });

  it('names unknown keys of a strict schema with their source', () => {
    const file = files.write('app.yaml', 'port: 1\nprot: 2\n');
    const error = errorOf(() => loadConfig({ schema: z.strictObject({ port: z.int() }), files: [file], env: {} }));
    expect(error.issues).toEqual([{ path: 'prot', source: `file ${file}:2`, message: 'not a known setting' }]);
  });

  it('names a missing file, an unknown extension and a top level that is not a mapping', () => {
    const dir = files.dir();
    const list = files.write('list.yaml', '- a\n- b\n');
    const error = errorOf(() =>
      loadConfig({ schema: z.object({}), files: [`${dir}/nope.yaml`, `${dir}/app.toml`, list], env: {} }),
    );
    expect(error.issues.map((i) => i.message)).toEqual([
      'config file does not exist',
      'unknown file type ".toml"; use .json, .yaml, .yml or .env',
      'the top level must be a mapping of settings; got a list',
    ]);
  });
});

describe('secrets', () => {
  const planted = 'hunter2-Plant3d-Secret';

  it('never appear in an error, by key rule or by schema mark', () => {
    const schema = z.object({
      db: z.object({ password: z.string().min(64) }),
      upstream: z.object({ credential: z.int(), opaque: secret(z.string().regex(/^x/)) }),
      note: z.string().refine(() => false, { message: `bad note ${planted}` }),
    });
    const file = files.write(
      'app.yaml',
      `db:\n  password: "${planted}"\nupstream:\n  opaque: "${planted}-2"\nnote: hi\n`,
    );
    const error = errorOf(() =>
      loadConfig({ schema, files: [file], env: { APP_UPSTREAM__CREDENTIAL: planted }, envPrefix: 'APP_' }),
    );
    expect(error.issues.map((i) => i.path)).toEqual(['upstream.credential', 'db.password', 'upstream.opaque', 'note']);
    expect(error.message).not.toContain(planted);
    expect(JSON.stringify(error.issues)).not.toContain(planted);
    expect(error.issues[0]?.message).toBe('expected a whole number; got a secret value');
  });

  it('are masked in JSON.stringify, util.inspect and explainConfig; other values survive', () => {
    const schema = z.object({
      user: z.string(),
      password: z.string(),
      api: z.object({ url: z.string(), token: secret(z.string()).meta({ description: 'the token' }) }),
      tls: z.object({ cert: z.string().meta({ secret: true }) }),
    });
    const env = {
      APP_USER: 'ann',
      APP_PASSWORD: planted,
      APP_API__URL: `https://bot:${planted}@api.example.com/`,
      APP_API__TOKEN: `${planted}-token`,
      APP_TLS__CERT: `${planted}-cert`,
    };
    const config = loadConfig({ schema, env, envPrefix: 'APP_' });
    expect(config.password).toBe(planted); // the application reads the real value
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10 }), JSON.stringify(config.api)]) {
      expect(text).not.toContain(planted);
      expect(text).toContain('api.example.com');
    }
    expect(JSON.stringify(config)).toContain('"user":"ann"');
    const explained = explainConfig({ schema, env, envPrefix: 'APP_' });
    expect(JSON.stringify(explained)).not.toContain(planted);
    expect(explained.settings.find((s) => s.path === 'api.token')).toEqual({
      path: 'api.token',
      value: '[REDACTED]',
      source: 'env APP_API__TOKEN',
      secret: true,
    });
  });

  it('follow a secret variable expanded into a setting of any name', () => {
    const file = files.write('app.yaml', 'url: "postgres://app:${DB_PASSWORD}@db/main"\nport: nope\n');
    const schema = z.object({ url: z.string().startsWith('mysql:'), port: z.int() });
    const error = errorOf(() => loadConfig({ schema, files: [file], env: { DB_PASSWORD: planted } }));
    expect(error.message).not.toContain(planted);
    const explained = explainConfig({ schema, files: [file], env: { DB_PASSWORD: planted } });
    expect(explained.settings.find((s) => s.path === 'url')).toMatchObject({ value: '[REDACTED]', secret: true });
  });
});

describe('explainConfig', () => {
  it('names the source of every setting, defaults included', () => {
    const schema = z.object({ port: z.int().default(8080), host: z.string(), db: z.object({ url: z.string() }) });
    const file = files.write('app.yaml', 'host: h\ndb:\n  url: file-url\n');
    const { settings, issues } = explainConfig({
      schema,
      files: [file],
      env: { APP_HOST: 'env-host' },
      envPrefix: 'APP_',
    });
    expect(issues).toEqual([]);
    expect(settings).toEqual([
      { path: 'port', value: 8080, source: 'default', secret: false },
      { path: 'host', value: 'env-host', source: 'env APP_HOST', secret: false },
      { path: 'db.url', value: 'file-url', source: `file ${file}:3`, secret: false },
    ]);
  });

  it('does not throw for an invalid config: the problems are in issues', () => {
    const { settings, issues } = explainConfig({ schema: z.object({ port: z.int() }), env: { PORT: 'x' } });
    expect(issues).toHaveLength(1);
    expect(settings).toEqual([]);
  });
});

describe('options', () => {
  it.each([
    [undefined, /options are required/],
    [{}, /option "schema" must be a zod 4 schema such as z\.object\(\{\.\.\.\}\); got undefined/],
    [{ schema: z.object({}), files: 'a.yaml' }, /option "files" must be an array of paths.*got "a\.yaml" \(string\)/],
    [{ schema: z.object({}), files: [{ path: 'a', optinal: true }] }, /option "files\[0\]" must be a path or/],
    [
      { schema: z.object({}), envPrefix: 'APP-' },
      /option "envPrefix" must be a variable-name prefix.*got "APP-" \(string\)/,
    ],
    [{ schema: z.object({}), env: 'x' }, /option "env" must be an object of strings/],
    [{ schema: z.object({}), overrides: [] }, /option "overrides" must be a plain object/],
    [{ schema: z.object({}), secretKeys: [1] }, /option "secretKeys" must be an array of strings or RegExps/],
    [{ schema: z.object({}), fiels: [] }, /unknown option "fiels"/],
  ])('refuses %j with a clear error', (options, message) => {
    expect(() => loadConfig(options as never)).toThrow(message);
  });

  it('secret() refuses what is not a schema', () => {
    expect(() => secret('x' as never)).toThrow(/expected a zod 4 schema/);
  });
});
