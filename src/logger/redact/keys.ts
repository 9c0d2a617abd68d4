/**
 * Which keys are secret. A key is split into words (camelCase, snake_case, kebab-case, dots and
 * spaces) and lower-cased, then judged in this order:
 *
 * 1. your own keys (`keys` option): a RegExp on the raw key, or a word or run of words;
 * 2. metadata about a secret is not the secret: a key of two or more words whose last word says
 *    what the value is about (`token_type`, `auth_url`, `privateKeyPath`, `apiKeyName`,
 *    `credentialsId`, `signatureAlgorithm`, `cookieDomain`...), and token counts (`prompt_tokens`,
 *    `max_tokens`, `tokensRemaining`);
 * 3. a secret word anywhere (`password`, `token`, `secret`, `authorization`...), a glued compound
 *    ending in one (`PGPASSWORD`, `authtoken`), `pass` / `pw` as the last word (`DB_PASS`,
 *    `LDAP_BIND_PW`), `key` after a word that makes it a secret key (`encryptionKey`,
 *    `x-functions-key`, `Ocp-Apim-Subscription-Key`, `DD_APP_KEY`), or a secret phrase
 *    (`session id`, `credit card`).
 *
 * Whole words only, so `author`, `tokenizer`, `keyboard`, `passenger` and `secretary` are not secrets.
 */

/** Words that make a key secret on their own. */
export const SECRET_WORDS: readonly string[] = [
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'passcode',
  'secret',
  'secrets',
  'token',
  'tokens',
  'apikey',
  'apikeys',
  'accesskey',
  'privatekey',
  'secretkey',
  'clientsecret',
  'authorization',
  'auth',
  'bearer',
  'credential',
  'credentials',
  'creds',
  'cookie',
  'cookies',
  'sessionid',
  'ssn',
  'cvv',
  'cvc',
  'pin',
  'jwt',
  'otp',
  'signature',
  'sig',
  'dsn',
];

/** Endings that make a glued word secret: `pgpassword`, `mysqlpassword`, `authtoken`, `clientsecret`. */
export const SECRET_ENDINGS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'sessionid',
  'sessid',
];

/** Words that are secret only as the last word of a key: `DB_PASS`, `pass`, `LDAP_BIND_PW`. */
export const SECRET_LAST_WORDS: readonly string[] = ['pass', 'pw'];

/**
 * Words that make a following `key` (or `keys`) secret: `encryptionKey`, `x-functions-key`,
 * `DD_APP_KEY`, `AccountKey`. `publicKey`, `cacheKey`, `primaryKey`, `idempotencyKey` stay.
 */
export const KEY_QUALIFIERS: readonly string[] = [
  'api',
  'access',
  'secret',
  'private',
  'priv',
  'client',
  'service',
  'account',
  'db',
  'database',
  'encryption',
  'decryption',
  'signing',
  'sign',
  'master',
  'hmac',
  'mac',
  'aes',
  'crypto',
  'cipher',
  'subscription',
  'functions',
  'function',
  'application',
  'app',
  'license',
  'licence',
  'admin',
  'session',
  'auth',
  'sas',
  'storage',
  'shared',
  'webhook',
  'deploy',
  'consumer',
  'write',
  'ingest',
  'management',
  'root',
  'server',
  'jwt',
  'otp',
  'totp',
  'bot',
  'personal',
  'rest',
  'recovery',
  'integration',
  'partner',
  'merchant',
  'encrypt',
  'wrapping',
];

/** Runs of words that make a key secret together. */
export const SECRET_PHRASES: readonly (readonly string[])[] = [
  ['set', 'cookie'],
  ['session', 'id'],
  ['card', 'number'],
  ['credit', 'card'],
  ['account', 'number'],
  ['security', 'code'],
  ['connection', 'string'],
  // Azure Functions' `AzureWebJobsStorage` holds a storage connection string.
  ['jobs', 'storage'],
];

/**
 * Last words that make a key metadata about a secret rather than the secret: `token_type`,
 * `access_token_url`, `privateKeyPath`, `apiKeyName`, `credentialsId`, `signatureAlgorithm`,
 * `cookieDomain`, `passwordMinLength`. A key of one word (`path`, `name`) was never secret.
 */
export const METADATA_WORDS: readonly string[] = [
  'type',
  'types',
  'url',
  'urls',
  'uri',
  'uris',
  'endpoint',
  'host',
  'path',
  'paths',
  'file',
  'files',
  'filename',
  'dir',
  'directory',
  'location',
  'name',
  'names',
  'id',
  'ids',
  'algorithm',
  'algorithms',
  'alg',
  'algo',
  'version',
  'method',
  'methods',
  'scheme',
  'mode',
  'kind',
  'format',
  'strategy',
  'provider',
  'providers',
  'policy',
  'issuer',
  'audience',
  'scope',
  'scopes',
  'count',
  'length',
  'len',
  'size',
  'min',
  'max',
  'limit',
  'remaining',
  'used',
  'usage',
  'expiry',
  'expires',
  'expiration',
  'expired',
  'ttl',
  'age',
  'lifetime',
  'domain',
  'site',
  'samesite',
  'secure',
  'httponly',
  'header',
  'prefix',
  'label',
  'description',
  'hint',
  'field',
  'param',
  'required',
  'enabled',
  'disabled',
  'set',
  'present',
  'exists',
  'valid',
  'changed',
  'created',
  'updated',
  'issued',
  'rotated',
  'rotation',
  'at',
  'date',
  'time',
  'timestamp',
  'status',
  'strength',
  'env',
  'var',
  // Who a credential belongs to, and where a secret is kept: `auth: { user, pass }`, `secretArn`.
  'user',
  'username',
  'email',
  'kid',
  'ref',
  'arn',
  // Options and outcomes about a secret (Node's TLS and crypto options, `authorizationError`).
  'encoding',
  'oid',
  'engine',
  'identifier',
  'context',
  'error',
  'errors',
];

/** Words that, beside `token` or `tokens`, make the key a count of language-model tokens. */
export const TOKEN_COUNT_WORDS: readonly string[] = [
  'prompt',
  'completion',
  'total',
  'input',
  'output',
  'cached',
  'reasoning',
  'estimated',
  'num',
  'per',
  'count',
  'remaining',
  'used',
  'usage',
  'limit',
  'max',
  'min',
];

/** Splits a key into lower-case words: `xApiKey` -> x, api, key; `DB__URL` -> db, url. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

function containsRun(words: readonly string[], phrase: readonly string[]): boolean {
  outer: for (let i = 0; i + phrase.length <= words.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (words[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
}

const SECRET = new Set(SECRET_WORDS);
const LAST = new Set(SECRET_LAST_WORDS);
const QUALIFIERS = new Set(KEY_QUALIFIERS);
const METADATA = new Set(METADATA_WORDS);
const COUNTS = new Set(TOKEN_COUNT_WORDS);
/** Glued `pass` compounds (`dbpass`, `smtppass`): a short list, since `bypass` and `compass` are words. */
const GLUED_PASS = /^(?:db|pg|mysql|redis|smtp|ldap|admin|root|user|ftp|proxy|mail|bind|sa)pass$/;

/** `session_id` and Vault's `secret_id` are secrets although they end in `id`. */
const SECRET_IDS = new Set(['session', 'secret']);

/** `expires_in`, `expiresIn`: how long a token lives (OAuth token responses). */
function expiresIn(words: readonly string[]): boolean {
  const n = words.length;
  return n > 1 && words[n - 1] === 'in' && (words[n - 2] === 'expires' || words[n - 2] === 'expire');
}

/** The built-in rule for a list of words, or null. */
function builtinRule(words: readonly string[]): string | null {
  const n = words.length;
  if (n === 0) return null;
  const last = words[n - 1] as string;
  if (n > 1 && METADATA.has(last) && !(last === 'id' && SECRET_IDS.has(words[n - 2] as string))) return null;
  if (expiresIn(words)) return null;
  for (let i = 0; i < n; i++) {
    const word = words[i] as string;
    if (word === 'token' || word === 'tokens') {
      for (const other of words) if (COUNTS.has(other)) return null;
    }
  }
  for (let i = 0; i < n; i++) {
    const word = words[i] as string;
    if (SECRET.has(word)) return `key:${word}`;
    if ((word === 'key' || word === 'keys') && i > 0 && QUALIFIERS.has(words[i - 1] as string)) {
      return `key:${words[i - 1]}-key`;
    }
    if (word.length > 4) {
      for (const ending of SECRET_ENDINGS) if (word.endsWith(ending)) return `key:${ending}`;
      if (word.endsWith('key') && QUALIFIERS.has(word.slice(0, -3))) return `key:${word.slice(0, -3)}-key`;
      if (GLUED_PASS.test(word)) return 'key:pass';
    }
  }
  if (LAST.has(last)) return `key:${last}`;
  for (const phrase of SECRET_PHRASES) if (containsRun(words, phrase)) return `key:${phrase.join('-')}`;
  return null;
}

/**
 * A value under a secret key that is a placeholder, not a secret: `?`, `$1`, `%s`, `${DB_PASSWORD}`,
 * `{{token}}`, `<password>`, `<your api key>`, `***`. Between angle brackets only words (letters,
 * `_`, `-`, spaces): `<hunter2!>` or `<     >` under `password` is a password, not a placeholder.
 */
export const PLACEHOLDER =
  /^(?:\?|\$\d{1,2}|%[sd]|\$\{[^}]*\}|\{\{[^}]*\}\}|<[A-Za-z][A-Za-z_ -]*>|\*+|x{3,}|X{3,}|\.\.\.|null|undefined|None|nil)$/;
/** `$password`, `:password`, `@password`, `$DB_PASSWORD`: a named placeholder, kept when it names the secret. */
export const NAMED_PLACEHOLDER = /^[$:@]([A-Za-z_]\w*)$/;

/**
 * The first characters of {@link PLACEHOLDER} and {@link NAMED_PLACEHOLDER} matches: a secret
 * starting otherwise (most do) skips both regexes (tests/logger/scan-gates.test.ts checks
 * every match starts with one of these).
 */
const PLACEHOLDER_STARTS = new Uint8Array(128);
for (const c of '?$%{<*xX.nuN:@') PLACEHOLDER_STARTS[c.charCodeAt(0)] = 1;

/** False when `value` (not empty) cannot be a placeholder: its first character starts none. */
export function mayBePlaceholder(value: string): boolean {
  const c = value.charCodeAt(0);
  return c < 128 && PLACEHOLDER_STARTS[c] === 1;
}

function namesTheSecret(name: string, rule: string): boolean {
  const word = rule.slice(rule.indexOf(':') + 1).replace(/[^a-z0-9]/g, '');
  return (
    word.length > 0 &&
    name
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .includes(word)
  );
}

/**
 * Words that say what state a secret is in, or which scheme it uses, and cannot be one:
 * `auth=none`, `password: missing`, `auth=basic`, `token=expired`.
 */
const STATE_WORDS = new Set([
  'true',
  'false',
  'yes',
  'no',
  'on',
  'off',
  'none',
  'ok',
  'missing',
  'invalid',
  'expired',
  'empty',
  'unset',
  'required',
  'optional',
  'enabled',
  'disabled',
  'present',
  'absent',
  'valid',
  'redacted',
  'bearer',
  'basic',
  'digest',
  'token',
  'oauth',
  'oauth2',
  'oidc',
  'saml',
  'jwt',
  'apikey',
  'hmac',
  'mtls',
  'ntlm',
  'negotiate',
  'kerberos',
  'anonymous',
  // fetch()'s `credentials` option.
  'include',
  'omit',
  'same-origin',
]);

/** A filesystem path: `/run/secrets/db`, `./key.json`, `~/.pgpass`, `C:\keys\sa.json`. */
const FILE_PATH = /^(?:\/|\.{1,2}\/|~\/|[A-Za-z]:\\)[^\s]*$/;

/** A GraphQL type, as in `$password: String!` or `input X { password: String! }`. */
const GRAPHQL_TYPE = /^\[?(?:String|ID)!?\]?!?$/;
/** A SQL function of a placeholder, as in `SET password_hash = crypt($1, gen_salt('bf'))`. */
const SQL_CALL = /^[A-Za-z_]\w+\((?:\$\d{1,2}|\?|:[a-z_]\w*)\)?$/;

/**
 * True when `value`, found under a key that `rule` made secret, is not a secret after all: a
 * placeholder (`$1`, `?`, `${DB_PASSWORD}`, `***`), a state or scheme word (`none`, `missing`,
 * `basic`), a count under `tokens` (`tokens=1532`), or a
 * path under `pwd` or `credentials` (`PWD=/home/ann`, `GOOGLE_APPLICATION_CREDENTIALS=/run/sa.json`).
 */
export function keptUnderSecretKey(rule: string, value: unknown): boolean {
  // A count of tokens; `{ pass: 42, fail: 0 }` counts passed tests (a password is a string).
  if (typeof value === 'number') return rule === 'key:tokens' || rule === 'key:pass';
  if (typeof value !== 'string') return false;
  if (value.length === 0) return true;
  if (mayBePlaceholder(value)) {
    if (PLACEHOLDER.test(value)) return true;
    const named = NAMED_PLACEHOLDER.exec(value);
    if (named !== null && namesTheSecret(named[1] as string, rule)) return true;
  }
  if (value.length <= 11 && STATE_WORDS.has(value.toLowerCase())) return true;
  if (rule === 'key:tokens') return /^\d+$/.test(value);
  if (rule === 'key:pwd' || rule === 'key:credentials' || rule === 'key:credential') return FILE_PATH.test(value);
  return false;
}

/**
 * True when `value`, read after a secret name inside text, is code rather than a secret: a GraphQL
 * type (`$password: String!`) or a SQL function of a placeholder (`password_hash = crypt($1, ...)`).
 * Only text is read this way: a structured value under a secret key is the secret.
 */
export function codeInText(value: string): boolean {
  return (value.length <= 12 && GRAPHQL_TYPE.test(value)) || (value.includes('(') && SQL_CALL.test(value));
}

/** True when a key names metadata (`maxAge`, `sameSite`, `path`, `type`): kept inside a secret object. */
export function isMetadataKey(key: string): boolean {
  const words = keyWords(key);
  const last = words[words.length - 1];
  return last !== undefined && (METADATA.has(last) || expiresIn(words));
}

/**
 * Rules whose value is a connection string (`dsn`, `connectionString`): the logger censors its
 * credentials and keeps the rest readable (`redis://default:[REDACTED]@cache:6379`).
 */
export const CONNECTION_RULES: ReadonlySet<string> = new Set(['key:dsn', 'key:connection-string', 'key:jobs-storage']);

/** Decides, and remembers, which rule (if any) makes a key secret. */
export class KeyRules {
  readonly #words = new Set<string>();
  readonly #phrases: (readonly string[])[] = [];
  readonly #patterns: RegExp[] = [];
  readonly #cache = new Map<string, string | null>();

  constructor(extra: readonly (string | RegExp)[]) {
    for (const rule of extra) {
      if (rule instanceof RegExp) {
        this.#patterns.push(new RegExp(rule.source, rule.flags.replace(/[gy]/g, '')));
        continue;
      }
      const words = keyWords(rule);
      if (words.length === 1) this.#words.add(words[0] as string);
      else if (words.length > 1) this.#phrases.push(words);
    }
  }

  /** The rule that makes `key` secret (`'key:password'`), or null. */
  match(key: string): string | null {
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const rule = this.#decide(key);
    // Keys are few in practice; the cap keeps a stream of random keys from growing it forever.
    if (this.#cache.size >= 10_000) this.#cache.clear();
    this.#cache.set(key, rule);
    return rule;
  }

  #decide(key: string): string | null {
    for (const pattern of this.#patterns) if (pattern.test(key)) return `key:${pattern.source}`;
    const words = keyWords(key);
    for (const word of words) if (this.#words.has(word)) return `key:${word}`;
    for (const phrase of this.#phrases) if (containsRun(words, phrase)) return `key:${phrase.join('-')}`;
    return builtinRule(words);
  }
}
