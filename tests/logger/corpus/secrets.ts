/**
 * bulwark's own redaction corpus: secrets placed the way applications log them, and values that
 * must survive. Built from public facts only: each provider's documented token format (the rows
 * of src/logger/redact/tokens.ts, whose made-up examples are reused here), the secret names
 * that real configurations use (environment variables, headers, connection strings), and the
 * shapes of ordinary identifiers (UUIDs, git SHAs, content hashes, request ids, base64 of text).
 * No scanner's code or fixtures are copied. Generation is seeded, so the corpus is the same on
 * every run.
 */
import { inspect } from 'node:util';
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

// 8. The audit of issue 15: for every provider the issue names, a token made afresh from the
// provider's documented format (not the table's example), in every place applications put one.
const B64 = `${ALNUM}+/`;
const B64URL = `${ALNUM}-_`;
const DIGITS = '0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const base64 = (text: string) => Buffer.from(text).toString('base64');
const hexUuid = () => `${chars(HEX, 8)}-${chars(HEX, 4)}-${chars(HEX, 4)}-${chars(HEX, 4)}-${chars(HEX, 12)}`;
const FRESH_TOKENS: readonly (readonly [string, string])[] = [
  ['hugging-face', `hf_${chars(ALNUM, 34)}`],
  ['hugging-face-org', `api_org_${chars(ALNUM, 34)}`],
  ['gitlab-pat-routable', `glpat-${chars(B64URL, 27)}.01.${chars(LOWER_ALNUM, 9)}`],
  ['gitlab-deploy', `gldt-${chars(B64URL, 20)}`],
  ['gitlab-feed', `glft-${chars(B64URL, 20)}`],
  ['gitlab-runner', `glrt-t1_${chars(B64URL, 20)}`],
  ['gitlab-pipeline-trigger', `glptt-${chars(HEX, 40)}`],
  ['gitlab-ci-build', `glcbt-64_${chars(B64URL, 20)}`],
  ['gitlab-oauth-secret', `gloas-${chars(HEX, 64)}`],
  ['gitlab-service-account', `glsoat-${chars(B64URL, 20)}`],
  ['gitlab-agent', `glagent-${chars(B64URL, 50)}`],
  ['gitlab-runner-registration', `GR1348941${chars(B64URL, 20)}`],
  ['slack-app', `xapp-1-A0${chars(UPPER_ALNUM, 9)}-${chars(DIGITS, 13)}-${chars(HEX, 64)}`],
  ['slack-rotated', `xoxe.xoxp-1-${chars(ALNUM, 140)}`],
  ['slack-refresh', `xoxe-1-${chars(ALNUM, 140)}`],
  ['stripe-restricted-prod', `rk_prod_${chars(ALNUM, 99)}`],
  ['stripe-restricted-live', `rk_live_51${chars(ALNUM, 97)}`],
  ['docker-pat', `dckr_pat_${chars(B64URL, 27)}`],
  ['docker-oat', `dckr_oat_${chars(B64URL, 32)}`],
  ['pypi', `pypi-AgEIcHlwaS5vcmc${chars(B64URL, 150)}`],
  ['vault-service', `hvs.${chars(B64URL, 90)}`],
  ['vault-batch', `hvb.${chars(B64URL, 138)}`],
  ['doppler-personal', `dp.pt.${chars(ALNUM, 43)}`],
  ['doppler-cli', `dp.ct.${chars(ALNUM, 43)}`],
  ['doppler-service-config', `dp.st.prd.${chars(ALNUM, 43)}`],
  ['heroku', `HRKU-AA${chars(B64URL, 58)}`],
  ['digitalocean', `dop_v1_${chars(HEX, 64)}`],
  [
    'sentry-org',
    `sntrys_${base64(JSON.stringify({ iat: 1764583200.5, url: 'https://sentry.io', region_url: 'https://de.sentry.io', org: 'acme' }))}_${chars(B64, 43)}`,
  ],
  ['sentry-user', `sntryu_${chars(HEX, 64)}`],
  ['grafana-cloud', `glc_${base64(JSON.stringify({ o: '482731', n: 'stack-9921-hm-write', k: chars(ALNUM, 24) }))}`],
  ['grafana-service-account', `glsa_${chars(ALNUM, 32)}_${chars(HEX, 8)}`],
  ['postman', `PMAK-${chars(HEX, 24)}-${chars(HEX, 34)}`],
  ['atlassian', `ATATT3xFfGF0${chars(B64URL, 180)}=${chars(UPPER_ALNUM, 8)}`],
  ['groq', `gsk_${chars(ALNUM, 52)}`],
  ['pinecone', `pcsk_${chars(ALNUM, 5)}_${chars(ALNUM, 63)}`],
  ['replicate', `r8_${chars(ALNUM, 37)}`],
  ['perplexity', `pplx-${chars(ALNUM, 48)}`],
  ['linear', `lin_api_${chars(ALNUM, 40)}`],
  ['notion', `ntn_${chars(DIGITS, 11)}${chars(ALNUM, 35)}`],
  ['notion-legacy', `secret_${chars(ALNUM, 43)}`],
  ['shopify-admin', `shpat_${chars(HEX, 32)}`],
  ['shopify-shared-secret', `shpss_${chars(HEX, 32)}`],
  ['shopify-custom-app', `shpca_${chars(HEX, 32)}`],
  ['mailgun', `key-${chars(HEX, 32)}`],
  ['mailchimp', `${chars(HEX, 32)}-us${1 + Math.floor(random() * 20)}`],
  ['discord-bot', `${base64('1187654321098765432').replace(/=+$/, '')}.${chars(B64URL, 6)}.${chars(B64URL, 38)}`],
  ['discord-bot-older', `${base64('412345678901234567').replace(/=+$/, '')}.${chars(B64URL, 6)}.${chars(B64URL, 27)}`],
  ['telegram-bot', `${1 + Math.floor(random() * 9)}${chars(DIGITS, 9)}:AA${chars(B64URL, 33)}`],
  ['azure-ad-client-secret', `${chars(ALNUM, 3)}8Q~${chars(`${ALNUM}_~.-`, 34)}`],
  ['age', `AGE-SECRET-KEY-1${chars('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', 58)}`],
  ['tailscale-auth', `tskey-auth-k${chars(ALNUM, 10)}CNTRL-${chars(ALNUM, 33)}`],
  ['tailscale-untyped', `tskey-k${chars(ALNUM, 10)}CNTRL-${chars(ALNUM, 20)}`],
  ['1password-service-account', `ops_eyJ${chars(B64, 300)}`],
  ['new-relic-user', `NRAK-${chars(UPPER_ALNUM, 27)}`],
  ['new-relic-license', `${chars(HEX, 36)}NRAL`],
  ['databricks', `dapi${chars(HEX, 32)}-2`],
  ['supabase', `sbp_${chars(HEX, 40)}`],
  ['vercel', `vcp_${chars(ALNUM, 56)}`],
  ['terraform-cloud', `${chars(ALNUM, 14)}.atlasv1.${chars(ALNUM, 67)}`],
  ['square', `EAAA${chars(B64URL, 60)}`],
  ['brevo', `xkeysib-${chars(HEX, 64)}-${chars(ALNUM, 16)}`],
  ['cloudflare-account', `cfat_${chars(ALNUM, 40)}`],
  ['cloudflare-origin-ca', `v1.0-${chars(HEX, 24)}-${chars(HEX, 146)}`],
  ['airtable', `pat${chars(ALNUM, 14)}.${chars(HEX, 64)}`],
  ['figma', `figd_${chars(B64URL, 40)}`],
  ['fly', `FlyV1 fm2_${chars(B64, 200)},fm2_${chars(B64, 150)}`],
  ['planetscale', `pscale_tkn_${chars(B64URL, 43)}`],
  ['rubygems', `rubygems_${chars(HEX, 48)}`],
  ['clojars', `CLOJARS_${chars(LOWER_ALNUM, 60)}`],
  ['bedrock-long-term', `ABSK${base64(`BedrockAPIKey-${chars(LOWER_ALNUM, 10)}-at-123456789012:${chars(ALNUM, 60)}`)}`],
  [
    'bedrock-short-term',
    `bedrock-api-key-${base64(`bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Credential=${chars(UPPER_ALNUM, 20)}`)}`,
  ],
  ['google-refresh', `1//0${pick(['3', '4', 'e', 'g'])}${chars(B64URL, 100)}`],
  [
    'github-app-installation-jwt',
    `ghs_${chars(DIGITS, 8)}_eyJ${chars(B64URL, 30)}.eyJ${chars(B64URL, 60)}.${chars(B64URL, 43)}`,
  ],
];
for (const [name, token] of FRESH_TOKENS) {
  // The token's last 16 characters: a token cut short by a rule still leaks them.
  const secret = token.slice(-16);
  const where: Record<string, Record<string, unknown>> = {
    'k8s-env': { env: [{ name: 'UPSTREAM_SETTING', value: token }] },
    message: { msg: `connecting with ${token} to upstream` },
    argv: { argv: ['node', 'cli.js', '--target', token] },
    error: { err: new Error(`upstream rejected ${token}`) },
    'error-cause': { err: new Error('sync failed', { cause: new Error(`bad credential "${token}"`) }) },
    map: { settings: new Map([['upstream', { value: token }]]) },
    'json-body': { body: JSON.stringify({ data: { item: token, page: 2 } }) },
    inspect: { detail: inspect({ item: token, page: 2 }) },
  };
  for (const [id, record] of Object.entries(where)) add(`fresh/${name}/${id}`, record, [secret]);
}

// 9. The audit's secret names (cause 2), with a value nothing else would find, in more places.
const AUDIT_NAMES = [
  'pass',
  'DB_PASS',
  'PGPASSWORD',
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
  'db_pass',
  'Ocp-Apim-Subscription-Key',
  'x-functions-key',
  'DD-APPLICATION-KEY',
  'DD_APP_KEY',
  'NEW_RELIC_LICENSE_KEY',
  'ALGOLIA_ADMIN_KEY',
  'AzureWebJobsStorage',
];
for (const name of AUDIT_NAMES) {
  const v = () => password();
  const places: [string, (value: string) => Record<string, unknown>][] = [
    ['k8s-env', (value) => ({ env: [{ name, value }] })],
    ['yaml', (value) => ({ msg: `config:\n  ${name}: ${value}\n  port: 5432` })],
    ['export', (value) => ({ msg: `+ export ${name}="${value}"` })],
    ['compose', (value) => ({ msg: `environment:\n  - ${name}=${value}\n  - PORT=80` })],
    ['docker-e', (value) => ({ cmd: `docker run -e ${name}=${value} -p 8080:80 app` })],
    ['query', (value) => ({ url: `https://api.example.com/x?${name}=${value.replace(/[#%+@]/g, 'z')}&page=2` })],
    ['header-line', (value) => ({ msg: `GET / HTTP/1.1\r\n${name}: ${value}\r\nAccept: */*` })],
    ['ruby-hash', (value) => ({ detail: `{"${name}"=>"${value}", "host"=>"db"}` })],
    ['inspect', (value) => ({ detail: inspect({ user: 'ann', [name]: value }) })],
  ];
  for (const [id, place] of places) {
    const value = v().replace(/[#%+@]/g, 'z');
    add(`audit-key/${name}/${id}`, place(value), [value]);
  }
}
add(
  'audit-key/AzureWebJobsStorage/development',
  { AzureWebJobsStorage: 'UseDevelopmentStorage=true' },
  [],
  ['UseDevelopmentStorage=true'],
);

// 10. The audit's strings (causes 3 to 8): quoted text, command lines, capability URLs,
// connection strings, URL passwords with no user, and authorization schemes.
{
  const t = (n: number) => chars(ALNUM, n);
  const pw = () => password().replace(/[#%+@~]/g, 'x');
  const [a1, a2, a3, a4, a5] = [t(40), t(40), t(40), t(30), pw()];
  add(
    'audit-text/json-access-token',
    { body: `{"access_token":"${a1}","token_type":"Bearer","expires_in":3600}` },
    [a1],
    ['Bearer', '3600'],
  );
  add('audit-text/json-spaced', { body: `{ "refresh_token" : "${a2}" }` }, [a2]);
  add('audit-text/json-in-json', { body: JSON.stringify({ raw: `{"id_token":"${a3}"}` }) }, [a3]);
  add('audit-text/inspect-nested', { detail: inspect({ client: { auth: { clientSecret: a4 } } }, { depth: 5 }) }, [a4]);
  add('audit-text/inspect-class', { detail: `Config { host: 'db', password: '${a5}' }` }, [a5]);
  const [p1, p2, p3, p4, p5] = [pw(), pw(), pw(), pw(), pw()];
  add(
    'audit-cmd/curl-user',
    { cmd: `curl --user admin:${p1} https://x.internal/api` },
    [p1],
    ['https://x.internal/api'],
  );
  add('audit-cmd/curl-quoted', { cmd: `curl -sSf -u 'admin:${p2}' https://x.internal/api` }, [p2]);
  add(
    'audit-cmd/curl-argv',
    { argv: ['curl', '-u', `admin:${p3}`, 'https://x.internal'] },
    [p3],
    ['https://x.internal'],
  );
  add('audit-cmd/api-key-flag', { cmd: `deploy --api-key=${p4} --env=prod` }, [p4], ['--env=prod']);
  add(
    'audit-cmd/spawnargs',
    { err: Object.assign(new Error('Command failed: psql'), { cmd: `PGPASSWORD=${p5} psql -h db -U app` }) },
    [p5],
    ['psql -h db -U app'],
  );
  const [goPw, makePw] = [pw(), pw()];
  add('audit-text/go-assign', { err: new Error(`config.go: password := "${goPw}"`) }, [goPw], ['config.go']);
  add('audit-text/makefile', { msg: `DB_PASSWORD ?= ${makePw}\nPORT ?= 5432` }, [makePw], ['PORT ?= 5432']);
  const [envJson, envInspect, envYaml] = [pw(), pw(), pw()];
  add(
    'audit-text/k8s-env-as-json',
    {
      body: JSON.stringify({
        containers: [
          {
            env: [
              { name: 'DB_PASSWORD', value: envJson },
              { name: 'REGION', value: 'eu-west-1' },
            ],
          },
        ],
      }),
    },
    [envJson],
    ['eu-west-1'],
  );
  add('audit-text/k8s-env-as-inspect', { detail: inspect([{ name: 'STRIPE_API_KEY', value: envInspect }]) }, [
    envInspect,
  ]);
  add(
    'audit-text/k8s-env-as-yaml',
    { manifest: `env:\n  - name: REDIS_PASS\n    value: ${envYaml}\n  - name: PORT\n    value: "6379"` },
    [envYaml],
    ['6379'],
  );
  const quotedPw = pw();
  add(
    'audit-cmd/curl-quoted-password',
    {
      err: new Error(
        `Command failed: curl -sS -u deploy:'${quotedPw}' http://127.0.0.1:1/\ncurl: (7) Failed to connect`,
      ),
    },
    [quotedPw],
    ['Failed to connect'],
  );
  const npmUuid = hexUuid();
  const npmAuth = base64(`ann:${pw()}`);
  add(
    'audit-cmd/npmrc-uuid',
    { line: `//npm.pkg.github.com/:_authToken=${npmUuid}` },
    [npmUuid],
    ['npm.pkg.github.com'],
  );
  add('audit-cmd/npmrc-auth', { line: `//registry.example.com/:_auth=${npmAuth}` }, [npmAuth]);
  const gitPw = pw();
  add(
    'audit-cmd/git-clone',
    { cmd: `git clone https://oauth2:${gitPw}@gitlab.com/a/b.git` },
    [gitPw],
    ['gitlab.com/a/b.git'],
  );
  const slack = `T${chars(UPPER_ALNUM, 8)}/B${chars(UPPER_ALNUM, 10)}/${t(24)}`;
  add(
    'audit-url/slack-in-message',
    { msg: `posting to https://hooks.slack.com/services/${slack} failed` },
    [slack.slice(-24)],
    ['hooks.slack.com'],
  );
  const discord = chars(B64URL, 68);
  add('audit-url/discordapp', { msg: `POST https://discordapp.com/api/webhooks/1234567890123456789/${discord}` }, [
    discord,
  ]);
  const discordV = chars(B64URL, 68);
  add(
    'audit-url/discord-versioned',
    { url: `https://discord.com/api/v10/webhooks/1234567890123456789/${discordV}` },
    [discordV],
    ['https://discord.com/api/v10/webhooks/'],
  );
  const teams = chars(HEX, 32);
  add(
    'audit-url/teams',
    {
      url: `https://acme.webhook.office.com/webhookb2/${hexUuid()}@${hexUuid()}/IncomingWebhook/${teams}/${hexUuid()}`,
    },
    [teams],
    ['acme.webhook.office.com'],
  );
  const teamsLegacy = chars(HEX, 32);
  add(
    'audit-url/teams-legacy-connector',
    { url: `https://outlook.office.com/webhook/${hexUuid()}@${hexUuid()}/IncomingWebhook/${teamsLegacy}/${hexUuid()}` },
    [teamsLegacy],
    ['outlook.office.com'],
  );
  const logicSig = chars(B64URL, 43);
  add(
    'audit-url/power-automate',
    {
      url: `https://prod-12.westus.logic.azure.com:443/workflows/${chars(HEX, 32)}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${logicSig}`,
    },
    [logicSig],
    ['prod-12.westus.logic.azure.com'],
  );
  const sas = `${t(40)}%3D`;
  add(
    'audit-url/sas-in-message',
    {
      msg: `download failed for https://acct.blob.core.windows.net/c/f.txt?se=2026&sp=r&sv=2022-11-02&sr=b&sig=${sas} status 403`,
    },
    [sas],
    ['status 403'],
  );
  const tg = `${chars(DIGITS, 10)}:AA${chars(B64URL, 33)}`;
  add(
    'audit-url/telegram',
    { url: `https://api.telegram.org/bot${tg}/sendMessage` },
    [tg.slice(-20)],
    ['api.telegram.org'],
  );
  const slackFile = t(30);
  add('audit-url/slack-file', { msg: `fetch https://files.slack.com/files-tmb/T0-F0-abc/x_360.png?t=${slackFile}` }, [
    slackFile,
  ]);
  const [k1, k2, k3, k4] = [`${chars(B64, 86)}==`, `${chars(B64, 86)}==`, `${chars(B64, 43)}=`, `${chars(B64, 43)}=`];
  add(
    'audit-conn/k8s-storage',
    { env: [{ name: 'STORAGE', value: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${k1}` }] },
    [k1.slice(0, 40)],
    ['AccountName=acct'],
  );
  add(
    'audit-conn/cosmos',
    { msg: `cosmos: AccountEndpoint=https://acct.documents.azure.com:443/;AccountKey=${k2};` },
    [k2.slice(0, 40)],
    ['acct.documents.azure.com'],
  );
  add(
    'audit-conn/service-bus',
    {
      err: new Error(
        `connect failed: Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${k3}`,
      ),
    },
    [k3.slice(0, 30)],
    ['ns.servicebus.windows.net', 'RootManageSharedAccessKey'],
  );
  add(
    'audit-conn/iot-hub',
    { conn: `HostName=hub.azure-devices.net;DeviceId=dev1;SharedAccessKey=${k4}` },
    [k4.slice(0, 30)],
    ['DeviceId=dev1'],
  );
  const sqlPw = pw();
  add(
    'audit-conn/sql-pwd',
    { conn: `Server=tcp:db.database.windows.net,1433;Database=app;User ID=sa;Pwd=${sqlPw};Encrypt=true` },
    [sqlPw],
    ['Encrypt=true'],
  );
  const [r1, r2, r3] = [pw(), pw(), pw()];
  add(
    'audit-url/rediss-no-user',
    { msg: `Error: connect ECONNREFUSED rediss://:${r1}@10.0.0.5:6380` },
    [r1],
    ['10.0.0.5:6380'],
  );
  add(
    'audit-url/redis-k8s',
    { env: [{ name: 'CACHE_URL', value: `redis://:${r2}@cache:6379` }] },
    [r2],
    ['cache:6379'],
  );
  add(
    'audit-url/mongodb-srv',
    { msg: `mongodb+srv://app:${r3}@cluster0.abc.mongodb.net/?retryWrites=true` },
    [r3],
    ['cluster0.abc.mongodb.net'],
  );
  const [o1, o2, o3, o4] = [`00${chars(B64URL, 40)}`, t(40), t(40), t(40)];
  add('audit-auth/ssws-json', { body: JSON.stringify({ headers: { Authorization: `SSWS ${o1}` } }) }, [o1], ['SSWS']);
  add('audit-auth/bot', { msg: `Authorization: Bot ${o2}` }, [o2], ['Authorization: Bot ']);
  add('audit-auth/token', { msg: `Authorization: Token ${o3}` }, [o3]);
  add('audit-auth/header-line', { msg: `x-api-key: ${o4}\r\naccept: */*` }, [o4], ['accept: */*']);
}

// 11. The audit's values that must survive (the issue's second list, placed the same ways).
const AUDIT_KEPT: [string, Record<string, unknown>, string[]][] = [
  [
    'usage-json-text',
    { body: '{"usage":{"prompt_tokens":12,"total_tokens":40,"max_tokens":100}}' },
    ['prompt_tokens', ':12', ':40', ':100'],
  ],
  [
    'usage-inspect',
    { detail: '{ prompt_tokens: 1532, total_tokens: 2000 }' },
    ['prompt_tokens: 1532', 'total_tokens: 2000'],
  ],
  ['token-refresh-failed', { msg: 'token refresh failed for user 42' }, ['token refresh failed for user 42']],
  ['bot-id', { msg: 'bot 1234567890 joined the channel' }, ['bot 1234567890 joined the channel']],
  [
    'capitalised-prose',
    { err: new Error('Password: Must be at least 12 characters') },
    ['Password: Must be at least 12 characters'],
  ],
  [
    'sql-crypt',
    { sql: "UPDATE users SET password_hash = crypt($1, gen_salt('bf')) WHERE id = $2" },
    ['password_hash = crypt($1, gen_salt'],
  ],
  [
    'graphql-variables',
    {
      query:
        'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }',
    },
    ['$password: String!', 'password: $password'],
  ],
  ['graphql-input', { query: 'input SignupInput { email: String! password: String! }' }, ['password: String!']],
  [
    'token-type-text',
    { body: '{"access_token":"abcdefabcdefabcdef123","token_type":"Bearer","expires_in":3600}' },
    ['token_type', 'Bearer', '3600'],
  ],
  [
    'google-client-json',
    {
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    },
    [
      'https://accounts.google.com/o/oauth2/auth',
      'https://oauth2.googleapis.com/token',
      'https://www.googleapis.com/oauth2/v1/certs',
    ],
  ],
  [
    'cookie-config-top',
    { cookie: { maxAge: 3600, sameSite: 'strict', httpOnly: true, domain: '.example.com', path: '/' } },
    ['3600', 'strict', '.example.com'],
  ],
  [
    'credentials-k8s',
    { env: [{ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: '/var/secrets/google/key.json' }] },
    ['/var/secrets/google/key.json'],
  ],
  [
    'credentials-text',
    { msg: 'GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json node app.js' },
    ['/var/secrets/google/key.json'],
  ],
  ['pwd-lower', { pwd: '/home/app' }, ['/home/app']],
  ['pwd-text', { msg: 'PWD=/home/app SHLVL=1' }, ['PWD=/home/app']],
  ['auth-method-inspect', { detail: "{ authMethod: 'client_secret_post' }" }, ['client_secret_post']],
  ['test-counts', { results: { pass: 42, fail: 0 } }, ['42']],
  [
    'secret-arn',
    { err: new Error('AccessDenied on resource: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf') },
    ['secret:prod/db-AbCdEf'],
  ],
  [
    'nodemailer-auth',
    { transport: { host: 'smtp.example.com', auth: { user: 'mailer@example.com', pass: 'Kp7wQz2Lm9Xv' } } },
    ['mailer@example.com', 'smtp.example.com'],
  ],
  [
    'oauth-token-response',
    { token: { access_token: 'Zq9xRt8pLm2KwQ', token_type: 'Bearer', expires_in: 3599, scope: 'openid email' } },
    ['Bearer', '3599', 'openid email'],
  ],
  [
    'jwt-options',
    { jwt: { expiresIn: '15m', algorithm: 'RS256', kid: 'signing-2026-11' } },
    ['15m', 'RS256', 'signing-2026-11'],
  ],
  ['fetch-options', { init: { method: 'POST', credentials: 'include', mode: 'cors' } }, ['include', 'cors']],
  [
    'secret-references',
    { secretRef: 'db-credentials', secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:db' },
    ['db-credentials', 'arn:aws:secretsmanager'],
  ],
  ['arrow-function', { err: new Error('at list.map(token => token.trim())') }, ['token => token.trim()']],
];
for (const [id, record, kept] of AUDIT_KEPT) add(`audit-kept/${id}`, record, [], kept);
const ORDINARY: string[] = [];
for (let i = 0; i < 8; i++) {
  ORDINARY.push(
    `${chars(HEX, 8)}-${chars(HEX, 4)}-4${chars(HEX, 3)}-a${chars(HEX, 3)}-${chars(HEX, 12)}`,
    chars(HEX, 40),
    chars(HEX, 64),
    base64(`order ${i} shipped to Lisbon on time`),
    `req_${chars(ALNUM, 24)}`,
    `2026-12-0${1 + i}T10:0${i}:00.123Z`,
    `api-7d4b9c8f5-${chars('bcdfghjklmnpqrstvwxz2456789', 5)}`,
    `1.${i}.${i * 3}-beta.${i}`,
    `https://api.example.com/v1/items/${i}?page=${i}`,
  );
}
ORDINARY.push(
  '01HZX3K5Q9Y6WZ2E8N4M7T1R0V',
  `sha256:${chars(HEX, 64)}`,
  `sha512-${chars(B64, 86)}==`,
  `i-0${chars(HEX, 16)}`,
  `AROA${chars(UPPER_ALNUM, 17)}`,
  'MTIzNDU2Nzg5MA',
  'hf_model_loaded',
  'secret_santa_2026',
  'key-value',
  'dp.co',
);
for (const [i, value] of ORDINARY.entries()) {
  add(`audit-ordinary/${i}/value`, { value }, [], [value]);
  add(`audit-ordinary/${i}/message`, { msg: `processed ${value} ok` }, [], [value]);
  add(`audit-ordinary/${i}/k8s-env`, { env: [{ name: 'BUILD_REF', value }] }, [], [value]);
}

export const CORPUS: readonly CorpusCase[] = cases;
