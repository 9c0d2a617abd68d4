/**
 * Which keys are secret. A key is split into words (camelCase, snake_case, kebab-case, dots and
 * spaces) and lower-cased; it is secret when one of its words, or a run of them, is a rule. Whole
 * words only, so `author`, `tokenizer`, `keyboard`, `passenger` and `secretary` are not secrets.
 */

/** Words that make a key secret on their own. */
export const SECRET_WORDS: readonly string[] = [
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'tokens',
  'apikey',
  'accesskey',
  'privatekey',
  'secretkey',
  'clientsecret',
  'authorization',
  'auth',
  'bearer',
  'credential',
  'credentials',
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
  'dsn',
];

/** Runs of words that make a key secret together (`api_key`, `x-api-key`, `setCookie`...). */
export const SECRET_PHRASES: readonly (readonly string[])[] = [
  ['api', 'key'],
  ['access', 'key'],
  ['private', 'key'],
  ['secret', 'key'],
  ['client', 'secret'],
  ['set', 'cookie'],
  ['session', 'id'],
  ['session', 'key'],
  ['card', 'number'],
  ['credit', 'card'],
  ['account', 'number'],
  ['security', 'code'],
  ['connection', 'string'],
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

/** Decides, and remembers, which rule (if any) makes a key secret. */
export class KeyRules {
  readonly #words: Set<string>;
  readonly #phrases: (readonly string[])[];
  readonly #patterns: RegExp[];
  readonly #cache = new Map<string, string | null>();

  constructor(extra: readonly (string | RegExp)[]) {
    this.#words = new Set(SECRET_WORDS);
    this.#phrases = [...SECRET_PHRASES];
    this.#patterns = [];
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
    return null;
  }
}
