/**
 * The rules one by one: key names (compound, glued, metadata), the string scanners, explain(),
 * entries of Headers and Maps, and the read-once guarantee (what is serialized is what was
 * redacted: no toJSON, getter or Proxy is read a second time).
 */
import { createLogger, createRedactor } from 'bulwark/logger';
import { MemorySink } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';

const r = createRedactor();
const R = '[REDACTED]';
/** A configuration reference, as text: `${DB_PASSWORD}`. */
const PLACEHOLDER = ['$', '{DB_PASSWORD}'].join('');

describe('key rules', () => {
  it.each([
    'password',
    'pass',
    'DB_PASS',
    'db_pass',
    'PGPASSWORD',
    'MYSQL_PWD',
    'LDAP_BIND_PW',
    'creds',
    'encryptionKey',
    'signingKey',
    'masterKey',
    'hmacKey',
    'service_key',
    'account_key',
    'db_key',
    'client_key',
    'priv_key',
    'Ocp-Apim-Subscription-Key',
    'x-functions-key',
    'DD-APPLICATION-KEY',
    'DD_APP_KEY',
    'NEW_RELIC_LICENSE_KEY',
    'ALGOLIA_ADMIN_KEY',
    'x-api-key',
    'client_secret',
    'refreshToken',
    'authtoken',
    'sessionId',
    'secret_id',
    'SharedAccessKey',
    'AccountKey',
    'setCookie',
    'card_number',
  ])('%s is secret', (key) => {
    expect(r.secretKeyRule(key)).not.toBeNull();
    expect(r.redact({ [key]: 'v4lue-123' })).toEqual({ [key]: R });
  });

  it.each([
    'token_type',
    'authMethod',
    'auth_uri',
    'token_uri',
    'access_token_url',
    'credentialsId',
    'apiKeyName',
    'apiKeyId',
    'cookieDomain',
    'signatureAlgorithm',
    'signatureVersion',
    'privateKeyPath',
    'passwordFile',
    'prompt_tokens',
    'total_tokens',
    'max_tokens',
    'tokensRemaining',
    'tokenCount',
    'passwordMinLength',
    'author',
    'tokenizer',
    'keyboard',
    'passenger',
    'secretary',
    'bypass',
    'compass',
    'publicKey',
    'cacheKey',
    'primaryKey',
    'idempotencyKey',
    'pass_rate',
    'client_id',
    'expires_in',
    'expiresIn',
    'AUTH_USER',
    'secretArn',
    'secretRef',
    'signatureEncoding',
    'privateKeyEngine',
    'authorizationError',
  ])('%s is not secret', (key) => {
    expect(r.secretKeyRule(key)).toBeNull();
    expect(r.redact({ [key]: 'plain value' })).toEqual({ [key]: 'plain value' });
  });

  it('keeps what cannot be the secret under a secret key: paths, counts, placeholders', () => {
    expect(
      r.redact({
        PWD: '/home/ann',
        pwd: 'hunter22',
        GOOGLE_APPLICATION_CREDENTIALS: '/var/secrets/sa.json',
        tokens: 1532,
        password: PLACEHOLDER,
        token: '***',
      }),
    ).toEqual({
      PWD: '/home/ann',
      pwd: R,
      GOOGLE_APPLICATION_CREDENTIALS: '/var/secrets/sa.json',
      tokens: 1532,
      password: PLACEHOLDER,
      token: '***',
    });
  });

  it('shows a connection string with its credentials censored and its host readable', () => {
    expect(
      r.redact({
        dsn: 'redis://default:hunter22@cache:6379',
        sentry: { dsn: 'https://abc123def456@o1.ingest.sentry.io/7' },
      }),
    ).toEqual({
      dsn: `redis://default:${R}@cache:6379`,
      sentry: { dsn: `https://${R}@o1.ingest.sentry.io/7` },
    });
  });

  it('censors the value of a { name, value } entry whose name is secret, and argv values after secret flags', () => {
    expect(
      r.redact({
        env: [
          { name: 'DB_PASSWORD', value: 'p4ss-word' },
          { name: 'LOG_LEVEL', value: 'debug' },
        ],
        argv: ['node', 'job.js', '--api-key', 'k-12345678', '-u', 'bob:s3cret99', '--verbose'],
        header: ['Authorization', 'Digest abc'],
      }),
    ).toEqual({
      env: [
        { name: 'DB_PASSWORD', value: R },
        { name: 'LOG_LEVEL', value: 'debug' },
      ],
      argv: ['node', 'job.js', '--api-key', R, '-u', `bob:${R}`, '--verbose'],
      header: ['Authorization', R],
    });
  });
});

describe('string scanners', () => {
  it.each([
    ['key: value', 'retrying with password: hunter22', `retrying with password: ${R}`],
    [
      '"key":"value"',
      '{"access_token":"ya29abc1234567","token_type":"Bearer"}',
      `{"access_token":"${R}","token_type":"Bearer"}`,
    ],
    ['util.inspect', "{ apiKey: 'abc123def456', region: 'eu' }", `{ apiKey: '${R}', region: 'eu' }`],
    ['escaped JSON', '{\\"password\\":\\"hunter22\\"}', `{\\"password\\":\\"${R}\\"}`],
    ['key=value', 'PGPASSWORD=hunter22 psql -h db', `PGPASSWORD=${R} psql -h db`],
    ['--key=value', 'backup --password=hunter22 --verbose', `backup --password=${R} --verbose`],
    ['--key value', 'backup --password hunter22 --verbose', `backup --password ${R} --verbose`],
    ['-u user:pass', 'curl -u admin:s3cretPw https://x', `curl -u admin:${R} https://x`],
    ['npmrc', '//registry.npmjs.org/:_authToken=abcdef0123456789', `//registry.npmjs.org/:_authToken=${R}`],
    ['URL password', 'postgres://app:hunter22@db:5432/main', `postgres://app:${R}@db:5432/main`],
    ['URL password, no user', 'redis://:hunter22@cache:6379', `redis://:${R}@cache:6379`],
    ['rediss', 'rediss://default:hunter22@cache:6380', `rediss://default:${R}@cache:6380`],
    [
      'Azure SAS',
      'https://a.blob.core.windows.net/c?sv=2022&sp=r&sig=abc%2Bdef',
      `https://a.blob.core.windows.net/c?sv=2022&sp=r&sig=${R}`,
    ],
    [
      'AccountKey=',
      'AccountName=a;AccountKey=abc+def/ghi==;EndpointSuffix=x',
      `AccountName=a;AccountKey=${R};EndpointSuffix=x`,
    ],
    ['Password=', 'Server=db;User Id=sa;Password=Pa55word!;', `Server=db;User Id=sa;Password=${R};`],
    ['SSWS scheme', 'Authorization: SSWS 00QCjAl4MlV-WPXM0123456789', `Authorization: SSWS ${R}`],
    ['Bot scheme', 'Authorization: Bot MTk4NjIy.Cl2FMQ.ZnCjm1XVW7', `Authorization: Bot ${R}`],
    ['Bearer', 'calling with Bearer abcdefghijklmnop', `calling with Bearer ${R}`],
    ['Basic', 'Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l', `Authorization: Basic ${R}`],
    [
      'Slack webhook',
      'posting to https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx',
      `posting to https://hooks.slack.com/services/${R}`,
    ],
    [
      'Discord webhook, versioned API',
      'POST https://discord.com/api/v10/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz_0123',
      `POST https://discord.com/api/v10/webhooks/123456789012345678/${R}`,
    ],
    [
      'quoted Authorization keeps its scheme',
      '{"Authorization":"SSWS 00QCjAl4MlV-WPXM0123"}',
      `{"Authorization":"SSWS ${R}"}`,
    ],
    [
      'an env entry as JSON text',
      '[{"name":"DB_PASSWORD","value":"hunter22"},{"name":"REGION","value":"eu-west-1"}]',
      `[{"name":"DB_PASSWORD","value":"${R}"},{"name":"REGION","value":"eu-west-1"}]`,
    ],
    [
      'an env entry as inspect text',
      "[ { name: 'API_TOKEN', value: 'hunter22' } ]",
      `[ { name: 'API_TOKEN', value: '${R}' } ]`,
    ],
    ['an env entry as YAML', '- name: DB_PASSWORD\n  value: hunter22', `- name: DB_PASSWORD\n  value: ${R}`],
    [
      "-u user:'pass' (a shell-quoted password)",
      "curl -u deploy:'s3cret!Pw' https://x",
      `curl -u deploy:'${R}' https://x`,
    ],
    ["Go's name := value", 'password := "hunter22"', `password := "${R}"`],
    ["Makefile's NAME ?= value", 'PASSWORD ?= hunter22', `PASSWORD ?= ${R}`],
    ["Ruby's name => 'value'", '{"password"=>"hunter22", "host"=>"db"}', `{"password"=>"${R}", "host"=>"db"}`],
    [
      'AzureWebJobsStorage=',
      'AzureWebJobsStorage=Xk9vLm2pQr7 LOG_LEVEL=debug',
      `AzureWebJobsStorage=${R} LOG_LEVEL=debug`,
    ],
  ])('%s', (_, text, expected) => {
    expect(r.redactString(text)).toBe(expected);
  });

  it.each([
    ['doppler-token', 'dp.st.prd.abcdefghijABCDEFGHIJabcdefghijABCDEFGHIJ123'],
    ['tailscale-key', 'tskey-k1234567890CNTRL-abcdefghijABCDEFGHIJ'],
    [
      'amazon-bedrock-api-key',
      `bedrock-api-key-${Buffer.from('bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Credential=AKIAEXAMPLE').toString('base64')}`,
    ],
  ])('%s: a documented variant is found', (rule, token) => {
    expect(r.explain({ note: `using ${token} now` })).toEqual([{ path: ['note'], rule }]);
    expect(r.redactString(`using ${token} now`)).toBe(`using ${R} now`);
  });

  it('reads AzureWebJobsStorage as a connection string: credentials go, the development setting stays', () => {
    expect(r.redact({ AzureWebJobsStorage: 'AccountName=a;AccountKey=abc+def/ghi==;EndpointSuffix=x' })).toEqual({
      AzureWebJobsStorage: `AccountName=a;AccountKey=${R};EndpointSuffix=x`,
    });
    expect(r.redact({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' })).toEqual({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    });
    expect(r.redact({ AzureWebJobsStorage: 'Xk9vLm2pQr7' })).toEqual({ AzureWebJobsStorage: R });
  });

  it('keeps a count under pass (test results) but not a string', () => {
    expect(r.redact({ pass: 42, fail: 0 })).toEqual({ pass: 42, fail: 0 });
    expect(r.redact({ pass: 'Xk9vLm2pQr7' })).toEqual({ pass: R });
  });

  it.each([
    'token validation failed',
    'basic authentication required',
    'password: must be at least 12 characters',
    'UPDATE users SET password_hash = $1 WHERE id = $2',
    'mutation { login(email: $email, password: $password) }',
    'tokens=1532 used, prompt_tokens=12',
    `see ${PLACEHOLDER} and $\{DB_PASSWORD:-none}`,
    'retrying at 10:30 with mode=fast',
    'auth=none status=ok, password: missing, token=expired, auth=basic',
    'class sk-loading-spinner-container',
    'xoxo-hugs-and-kisses-forever',
    'ghp_some_long_identifier_name_here_x_yz_abc',
    'zeros AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==',
    'https://api.example.com/v1/items?page=2&limit=50',
    'Password: Must be at least 12 characters',
    "UPDATE users SET password_hash = crypt($1, gen_salt('bf')) WHERE id = $2",
    'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) }',
    'input SignupInput { email: String! password: String! }',
    'bot 1234567890 joined the channel',
    'items.map(token => token.trim())',
    'CFLAGS += -O2 and retries ?= 3',
    'Missing Bearer Token',
    'Bearer Authentication is required',
    'not authorized on resource: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf',
  ])('keeps %s', (text) => {
    expect(r.redactString(text)).toBe(text);
  });
});

describe('explain', () => {
  it('lists each finding with its path and rule', () => {
    expect(
      r.explain({
        user: { password: 'hunter22', name: 'ann' },
        db: 'postgres://app:hunter22@db/main',
        token_type: 'Bearer',
        note: 'uploaded with hf_abcdefghijklmnopqrstuvwxyzABCDEFGH',
        cmd: 'curl -u bob:pw123456 https://x',
      }),
    ).toEqual([
      { path: ['user', 'password'], rule: 'key:password' },
      { path: ['db'], rule: 'url-password' },
      { path: ['note'], rule: 'huggingface-token' },
      { path: ['cmd'], rule: 'user-password-flag' },
    ]);
  });

  it('finds nothing in a value with no secret', () => {
    expect(r.explain({ token_type: 'Bearer', prompt_tokens: 12, msg: 'token validation failed' })).toEqual([]);
  });
});

describe('entries', () => {
  it('logs Headers, Maps and URLSearchParams as their entries, redacted', () => {
    const out = r.redact({
      headers: new Headers({ authorization: 'Bearer abc', accept: 'text/html', 'set-cookie': 'sid=1' }),
      map: new Map<unknown, unknown>([
        ['apiKey', 'k'],
        ['region', 'eu'],
      ]),
      query: new URLSearchParams('page=2&access_token=abc123456'),
    });
    expect(out).toEqual({
      headers: { accept: 'text/html', authorization: R, 'set-cookie': R },
      map: { apiKey: R, region: 'eu' },
      query: { page: '2', access_token: R },
    });
  });

  it('writes a logged Headers as its entries, not {}', () => {
    const sink = new MemorySink();
    createLogger({ sink }).warn('upstream answered 429', {
      headers: new Headers({ 'retry-after': '1', 'x-api-key': 'k-123456' }),
    });
    expect(sink.records[0]).toMatchObject({ headers: { 'retry-after': '1', 'x-api-key': R } });
  });
});

describe('read once: what is serialized is what was redacted', () => {
  function serialized(value: unknown): string {
    return JSON.stringify(r.redact(value));
  }

  it('calls a non-enumerable toJSON once and redacts its result', () => {
    const sneaky = Object.defineProperty({ ok: 1 }, 'toJSON', { value: () => ({ password: 'leak-1' }) });
    expect(serialized({ sneaky })).toBe(`{"sneaky":{"password":"${R}"}}`);
  });

  it('calls an array toJSON once and redacts its result', () => {
    const list = Object.assign(['a', 'b'], { toJSON: () => ({ password: 'leak-2' }) });
    expect(serialized({ list })).toBe(`{"list":{"password":"${R}"}}`);
  });

  it('reads a getter once, even when a second read would differ', () => {
    let reads = 0;
    const flip = {
      get note() {
        reads++;
        return reads === 1 ? 'fine' : 'password=leak-3';
      },
    };
    expect(serialized({ flip })).toBe('{"flip":{"note":"fine"}}');
    expect(reads).toBe(1);
  });

  it('reads a Proxy once, even when a second read would differ', () => {
    let reads = 0;
    const proxy = new Proxy({ note: 'x' } as Record<string, unknown>, {
      get(target, key) {
        if (key === 'note') return ++reads === 1 ? 'fine' : 'token=leak-4';
        return target[key as string];
      },
    });
    expect(serialized({ proxy })).toBe('{"proxy":{"note":"fine"}}');
  });

  it('turns throwing traps and toJSON into markers, never throwing', () => {
    const throwing = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
      },
    );
    const badJson = {
      toJSON: () => {
        throw new Error('no');
      },
    };
    expect(r.redact({ throwing, badJson })).toEqual({ throwing: '[Unreadable]', badJson: '[Unreadable]' });
  });

  it('holds through the logger', () => {
    const sink = new MemorySink();
    const sneaky = Object.defineProperty({}, 'toJSON', { value: () => ({ password: 'leak-5' }) });
    let reads = 0;
    const flip = {
      get token_type() {
        return ++reads === 1 ? 'Bearer' : 'hunter2-leak-6';
      },
    };
    createLogger({ sink }).info('hostile', { sneaky, flip });
    expect(sink.lines[0]).not.toMatch(/leak-/);
  });

  it('never lets a __proto__ key touch a prototype', () => {
    const input = JSON.parse('{"__proto__":{"isAdmin":true},"a":{"__proto__":{"password":"x"}}}');
    const out = r.redact(input) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"isAdmin":true},"a":{"__proto__":{"password":"${R}"}}}`);
  });
});

describe('more places secrets hide', () => {
  it('censors secret XML elements, the whole Cookie header and session cookies by name', () => {
    expect(r.redactString('<login><user>ann</user><wsse:Password>hunter22</wsse:Password></login>')).toBe(
      `<login><user>ann</user><wsse:Password>${R}</wsse:Password></login>`,
    );
    expect(r.redactString('Cookie: theme=dark; JSESSIONID=abc123def\nnext')).toBe(`Cookie: ${R}\nnext`);
    expect(r.redact({ JSESSIONID: 'abc', PHPSESSID: 'def', AccountSid: 'AC123' })).toEqual({
      JSESSIONID: R,
      PHPSESSID: R,
      AccountSid: 'AC123',
    });
    expect(r.redactString('<note>password reset requested</note>')).toBe('<note>password reset requested</note>');
  });
});

describe('placeholders', () => {
  it('keeps a placeholder only when it cannot be the secret', () => {
    expect(
      r.redact({
        a: { password: '$password' },
        b: { password: '$DB_PASSWORD' },
        c: { password: '?' },
        d: { password: '$ecret12' },
        e: { password: '@dmin123' },
        f: { password: '$AA0000' },
        g: { password: '<your password>', apiKey: '<API_KEY>' },
        h: { password: '<hunter2!>', secret: '<     >', token: '<a1b2c3d4>' },
      }),
    ).toEqual({
      a: { password: '$password' },
      b: { password: '$DB_PASSWORD' },
      c: { password: '?' },
      d: { password: R },
      e: { password: R },
      f: { password: R },
      g: { password: '<your password>', apiKey: '<API_KEY>' },
      h: { password: R, secret: R, token: R },
    });
  });
});
