/**
 * bulwark's own redaction corpus: secrets placed the way applications log them, and values that
 * must survive. Built from public facts only: each provider's documented token format (the rows
 * of src/logger/redact/tokens.ts, whose made-up examples are reused here), the secret names
 * that real configurations use (environment variables, headers, connection strings), and the
 * shapes of ordinary identifiers (UUIDs, git SHAs, content hashes, request ids, base64 of text).
 * No scanner's code or fixtures are copied. Generation is seeded, so the corpus is the same on
 * every run.
 */
import { TOKEN_SHAPES } from '../../../src/logger/redact/tokens.js';

/** One record to log: no string of `secrets` may appear in the line, every string of `kept` must. */
export interface CorpusCase {
  readonly id: string;
  readonly record: Record<string, unknown>;
  readonly secrets: readonly string[];
  readonly kept: readonly string[];
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(20261201);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
function pick<T>(list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}
function chars(alphabet: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}
/** A password as people make them: letters, digits and a symbol. */
function password(): string {
  return `${chars(ALNUM, 6)}${pick(['!', '#', '%', '+', '_', '.', '@', '~'])}${chars(ALNUM, 5)}9`;
}
function uuid(): string {
  return `${chars(HEX, 8)}-${chars(HEX, 4)}-4${chars(HEX, 3)}-a${chars(HEX, 3)}-${chars(HEX, 12)}`;
}

const cases: CorpusCase[] = [];
function add(
  id: string,
  record: Record<string, unknown>,
  secrets: readonly string[],
  kept: readonly string[] = [],
): void {
  cases.push({ id, record, secrets, kept });
}

// 1. Every documented token shape, where nothing nearby says "secret".
for (const shape of TOKEN_SHAPES) {
  const token = shape.example;
  // A capability URL's secret is its path or query; the host stays.
  const secret = shape.secretGroup === undefined ? token : (shape.regex.exec(token)?.[shape.secretGroup] ?? token);
  shape.regex.lastIndex = 0;
  const where = [
    { id: 'message', record: { msg: `calling upstream with ${token} now` } },
    { id: 'k8s-env', record: { env: [{ name: 'UPSTREAM_CONFIG', value: token }] } },
    { id: 'argv', record: { argv: ['node', 'deploy.js', '--target', token] } },
    { id: 'error', record: { err: new Error(`request to upstream failed (${token})`) } },
    {
      id: 'error-cause',
      record: { err: new Error('sync failed', { cause: new Error(`rejected: "${token}"`) }) },
    },
    { id: 'map', record: { settings: new Map([['upstream', { note: token }]]) } },
    { id: 'json-body', record: { body: JSON.stringify({ data: { item: token, page: 2 } }) } },
  ];
  for (const w of where) add(`${shape.name}/${w.id}`, w.record, [secret]);
}

// 2. Secret names, compound and glued, in objects, env files, JSON bodies, inspect output, headers.
const SECRET_NAMES = [
  'password',
  'pass',
  'DB_PASS',
  'db_pass',
  'PGPASSWORD',
  'MYSQL_PWD',
  'LDAP_BIND_PW',
  'creds',
  'passphrase',
  'encryptionKey',
  'signingKey',
  'masterKey',
  'hmacKey',
  'service_key',
  'account_key',
  'db_key',
  'client_key',
  'priv_key',
  'private_key',
  'clientSecret',
  'client_secret',
  'apiKey',
  'api_key',
  'x-api-key',
  'X-Auth-Token',
  'Ocp-Apim-Subscription-Key',
  'x-functions-key',
  'DD-APPLICATION-KEY',
  'DD_APP_KEY',
  'DD_API_KEY',
  'NEW_RELIC_LICENSE_KEY',
  'ALGOLIA_ADMIN_KEY',
  'SENDGRID_API_KEY',
  'STRIPE_SECRET',
  'refreshToken',
  'access_token',
  'id_token',
  'sessionId',
  'session_token',
  'webhookSecret',
  'JWT_SECRET',
  'AccountKey',
  'SharedAccessKey',
  'smtpPassword',
  'redisPassword',
  'adminPassword',
  'secret_id',
  'otp',
  'pin',
];
for (const name of SECRET_NAMES) {
  const a = password();
  const b = password();
  const c = password();
  const d = password();
  add(`key/${name}/object`, { config: { host: 'db.internal', [name]: a } }, [a], ['db.internal']);
  add(`key/${name}/env-line`, { msg: `starting worker with ${name}=${b} LOG_LEVEL=debug` }, [b], ['LOG_LEVEL=debug']);
  add(`key/${name}/json`, { body: `{"user":"ann","${name}":"${c}"}` }, [c], ['ann']);
  add(
    `key/${name}/inspect`,
    { detail: `{ user: 'ann', ${/^[A-Za-z_]\w*$/.test(name) ? name : `'${name}'`}: '${d}' }` },
    [d],
  );
}
for (const name of ['authorization', 'cookie', 'x-api-key', 'proxy-authorization', 'x-functions-key']) {
  const v = password();
  add(`headers/${name}`, { headers: new Headers({ [name]: v, accept: 'text/html' }) }, [v], ['text/html']);
}

// 3. Command lines.
for (let i = 0; i < 6; i++) {
  const p1 = password();
  const p2 = password();
  const p3 = password();
  const p4 = `npm_${chars(ALNUM, 36)}`;
  add(
    `cmd/curl-u/${i}`,
    { cmd: `curl -sS -u deploy:${p1} https://artifacts.internal/upload` },
    [p1],
    ['artifacts.internal'],
  );
  add(`cmd/password-flag/${i}`, { cmd: `backup --host db.internal --password=${p2} --verbose` }, [p2], ['--verbose']);
  add(
    `cmd/pgpassword/${i}`,
    { err: new Error(`Command failed: PGPASSWORD=${p3} psql -h db -U app -c 'select 1'`) },
    [p3],
    ['psql'],
  );
  add(`cmd/npmrc/${i}`, { line: `//registry.npmjs.org/:_authToken=${p4}` }, [p4], ['registry.npmjs.org']);
  const p5 = password();
  add(
    `cmd/flag-space/${i}`,
    { argv: ['mysqldump', '--user', 'app', '--password', p5, 'shop'] },
    [p5],
    ['mysqldump', 'shop'],
  );
}

// 4. URLs: credentials with and without a user name, capability URLs, SAS signatures.
for (let i = 0; i < 6; i++) {
  const p1 = password().replace(/[@~#%+]/g, 'x');
  const p2 = password().replace(/[@~#%+]/g, 'x');
  const p3 = password().replace(/[@~#%+]/g, 'x');
  add(`url/redis-no-user/${i}`, { cache: `redis://:${p1}@cache.internal:6379/0` }, [p1], ['cache.internal:6379']);
  add(
    `url/rediss/${i}`,
    { msg: `connecting to rediss://default:${p2}@cache.internal:6380` },
    [p2],
    ['cache.internal:6380'],
  );
  add(`url/dsn/${i}`, { dsn: `postgres://app:${p3}@db.internal:5432/main` }, [p3], ['db.internal:5432/main']);
  const sig = `${chars(ALNUM, 30)}%2B${chars(ALNUM, 10)}%3D`;
  add(
    `url/sas/${i}`,
    { url: `https://acct.blob.core.windows.net/backups/db.tar?sv=2022-11-02&se=2026-12-01&sp=r&sig=${sig}` },
    [sig],
    ['acct.blob.core.windows.net', 'sp=r'],
  );
}

// 5. Connection strings and authorization schemes in text.
for (let i = 0; i < 6; i++) {
  const key = `${chars(ALNUM, 86)}==`;
  const pw = password();
  const okta = `00${chars(ALNUM, 40)}`;
  const bearer = chars(ALNUM, 32);
  add(
    `conn/azure-storage/${i}`,
    {
      AzureWebJobsStorage: `DefaultEndpointsProtocol=https;AccountName=acct${i};AccountKey=${key};EndpointSuffix=core.windows.net`,
    },
    [key],
    [`AccountName=acct${i}`],
  );
  add(
    `conn/sql-server/${i}`,
    { conn: `Server=db${i};Database=app;User Id=sa;Password=${pw};` },
    [pw],
    [`Server=db${i}`],
  );
  add(`auth/ssws/${i}`, { msg: `GET /api/v1/users Authorization: SSWS ${okta}` }, [okta], ['/api/v1/users']);
  add(
    `auth/bearer/${i}`,
    { msg: `retrying with Authorization: Bearer ${bearer}` },
    [bearer],
    ['retrying with Authorization: Bearer '],
  );
}

// 6. Values that must survive.
const KEPT: [string, unknown][] = [];
for (let i = 0; i < 60; i++) KEPT.push([`id-${i}`, uuid()]);
for (let i = 0; i < 60; i++) KEPT.push([`commit-${i}`, chars(HEX, 40)]);
for (let i = 0; i < 30; i++) KEPT.push([`sha256-${i}`, chars(HEX, 64)]);
for (let i = 0; i < 30; i++) KEPT.push([`etag-${i}`, `W/"${chars(HEX, 32)}"`]);
for (let i = 0; i < 30; i++) KEPT.push([`requestId-${i}`, `req_${chars(ALNUM, 20)}`]);
for (let i = 0; i < 30; i++) KEPT.push([`traceparent-${i}`, `00-${chars(HEX, 32)}-${chars(HEX, 16)}-01`]);
for (let i = 0; i < 20; i++) KEPT.push([`email-${i}`, `${chars('abcdefghij', 6)}.${chars('klmnopq', 5)}@example.com`]);
for (let i = 0; i < 20; i++) KEPT.push([`objectKey-${i}`, `uploads/2026/12/${chars(HEX, 16)}.png`]);
const TEXTS = [
  'the quick brown fox jumps over the lazy dog',
  'order 1532 shipped to Lisbon',
  'retry budget exhausted after 3 attempts',
  'payment accepted for invoice INV-2026-0042',
  'cache warmed with 1200 entries in 31 ms',
];
for (const [i, text] of TEXTS.entries()) KEPT.push([`b64-${i}`, Buffer.from(text).toString('base64')]);
const PROSE = [
  'token validation failed for the request',
  'basic authentication required',
  'password: must be at least 12 characters long',
  'your password must contain a digit',
  'the token expired, refresh it and retry',
  'UPDATE users SET password_hash = $1 WHERE id = $2',
  'SELECT id FROM accounts WHERE password = ? AND active',
  'mutation { login(email: $email, password: $password) { token } }',
  'tokens=1532 remaining=468',
  'bearer token missing from the request',
  'Set the secret in the vault, never in the repository',
  'digest authentication is not supported',
  'no auth header was sent',
  'rotated the signing key yesterday',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference logged as text
  'see ${PROVIDER_API_KEY} in the deployment guide',
];
for (const [i, text] of PROSE.entries()) KEPT.push([`prose-${i}`, text]);
const VERSIONS = ['1.2.3', 'v24.11.1', '2026-12-01T10:00:00.000Z', '10.0.0.7', 'fe80::1ff:fe23:4567:890a'];
for (const [i, v] of VERSIONS.entries()) KEPT.push([`version-${i}`, v]);
const PUBLIC = [
  `pk_live_${chars(ALNUM, 24)}`,
  `pk_test_${chars(ALNUM, 24)}`,
  `pk.eyJ1IjoiYWNtZSIsImEiOiJjbHh4In0.${chars(ALNUM, 22)}`,
  'https://api.example.com/v1/items?page=2&limit=50',
  'https://user@example.com/profile',
  '/var/run/secrets/kubernetes.io/serviceaccount',
  'application/vnd.api+json; charset=utf-8',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'arn:aws:iam::123456789012:role/deploy',
  'projects/acme/locations/europe-west1/keyRings/app/cryptoKeys/db',
];
for (const [i, v] of PUBLIC.entries()) KEPT.push([`public-${i}`, v]);
for (const [i, [key, value]] of KEPT.entries()) {
  const k = key.replace(/-\d+$/, '');
  add(`kept/${key}`, { [k]: value }, [], [String(value)]);
  if (typeof value === 'string' && i % 3 === 0)
    add(`kept/${key}/message`, { msg: `processed ${value} ok` }, [], [value]);
}

// 7. Metadata about a secret, and counts: kept with its key.
const METADATA: Record<string, unknown> = {
  token_type: 'Bearer',
  authMethod: 'client_secret_basic',
  auth_uri: 'https://accounts.example.com/o/oauth2/auth',
  token_uri: 'https://oauth2.example.com/token',
  access_token_url: 'https://auth.example.com/oauth/token',
  credentialsId: 'cred-8842',
  apiKeyName: 'billing-ci',
  apiKeyId: 'key_01HZX3',
  cookieDomain: '.example.com',
  signatureAlgorithm: 'RS256',
  signatureVersion: 'v4',
  privateKeyPath: '/etc/ssl/private/app.pem',
  passwordFile: '/run/secrets/db_password',
  GOOGLE_APPLICATION_CREDENTIALS: '/var/secrets/google/key.json',
  PWD: '/home/ann/projects/shop',
  prompt_tokens: 1532,
  completion_tokens: 468,
  total_tokens: 2000,
  max_tokens: 4096,
  tokensRemaining: 98000,
  tokenCount: 77,
  passwordMinLength: 12,
  secretName: 'db-credentials',
  tokenExpiresAt: '2026-12-01T11:00:00Z',
  sessionTimeout: 900,
};
for (const [key, value] of Object.entries(METADATA)) {
  add(`metadata/${key}`, { settings: { [key]: value } }, [], [String(value)]);
}
add(
  'metadata/session-cookie-config',
  { session: { cookie: { maxAge: 86400000, sameSite: 'strict', httpOnly: true, path: '/app' } } },
  [],
  ['86400000', 'strict', '/app'],
);
add(
  'metadata/k8s-env-plain',
  {
    env: [
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'REGION', value: 'eu-west-1' },
    ],
  },
  [],
  ['debug', 'eu-west-1'],
);
add(
  'metadata/dsn-host',
  { redis: { dsn: 'redis://default:hunter2pass@cache:6379' } },
  ['hunter2pass'],
  ['redis://default:', '@cache:6379'],
);

export const CORPUS: readonly CorpusCase[] = cases;
