/**
 * Secret shapes that belong to no provider: PEM private keys, the password of a URL, a curl
 * `-u user:password`. Provider tokens and capability URLs are in ./tokens.ts.
 */

/** A secret shape: `regex` finds it; `secretGroup` (default 0, the whole match) is what is censored. */
export interface SecretPattern {
  /** Names the rule in the censor's context, e.g. `'employee-id'`. */
  readonly name: string;
  /** Finds the shape. The `g` flag is added if missing. */
  readonly regex: RegExp;
  /** Which capture group is the secret (default 0, the whole match). */
  readonly secretGroup?: number | undefined;
  /**
   * Lower-case substrings one of which every match contains; the regex runs only when the
   * lower-cased string has one. Leave unset to always run it.
   */
  readonly hints?: readonly string[] | undefined;
}

/** A shape found anywhere in a string, run only when the string contains `hint` (case-sensitive). */
export interface HintedPattern {
  readonly name: string;
  readonly hint: string;
  readonly regex: RegExp;
  readonly secretGroup: number;
}

/**
 * What a string must have before a hinted pattern's `includes` runs at all: its punctuation (a
 * mask of {@link Seen} flags) and its longest run of `[A-Za-z0-9_-]`. The scanner learns both in
 * the walk it makes anyway, so most strings skip most hints without reading them again.
 */
export const Seen = { colon: 1, slash: 2, tilde: 4, dash: 8, dot: 16, equals: 32, at: 64 } as const;

/** The {@link Seen} mask a hint needs (its punctuation), and the longest token run it implies. */
export function hintNeeds(hint: string): number {
  let mask = 0;
  for (const c of hint) {
    if (c === ':') mask |= Seen.colon;
    else if (c === '/') mask |= Seen.slash;
    else if (c === '~') mask |= Seen.tilde;
    else if (c === '-') mask |= Seen.dash;
    else if (c === '.') mask |= Seen.dot;
    else if (c === '=') mask |= Seen.equals;
    else if (c === '@') mask |= Seen.at;
  }
  return mask;
}

/** The generic shapes. */
export const GENERIC_PATTERNS: readonly HintedPattern[] = [
  {
    name: 'private-key',
    hint: '-----BEGIN',
    regex: /-----BEGIN[A-Z ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY( BLOCK)?-----|$)/g,
    secretGroup: 0,
  },
  {
    // `postgres://app:hunter2@db`, `redis://:hunter2@cache` (no user name), `rediss://default:x@h`.
    name: 'url-password',
    hint: '://',
    regex: /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s:@/?#"'<>]*:([^\s@/"'<>]+)@/g,
    secretGroup: 1,
  },
  {
    // `curl -u user:password`, `--user user:password`, `--user=user:password`, `-u user:'password'`.
    name: 'user-password-flag',
    hint: '-u',
    regex: /(?<![\w-])(?:-u|--user)(?:[ \t]+|=|(?=["']))["']?[^\s:"']*:["']?([^\s"']+)/g,
    secretGroup: 1,
  },
];

/**
 * Authorization schemes whose next word is a credential: `Bearer x`, `Basic x`, `Token x`, Okta's
 * `SSWS x`, Discord's `Bot x`. Lower-case, looked up by the scanner at each word start.
 */
export const AUTH_SCHEMES: ReadonlySet<string> = new Set([
  'bearer',
  'basic',
  'token',
  'ssws',
  'bot',
  'negotiate',
  'ntlm',
  'apikey',
]);
