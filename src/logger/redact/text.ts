/**
 * Finds secrets inside one string, in one walk plus a few `includes` checks:
 *
 * - `name=value` / `name: value` / `"name":"value"` / `'name': 'value'` / `--name=value` /
 *   `--name value` pairs whose name is secret by the key rules (one place decides what is secret);
 * - provider tokens by their documented prefix, tried only where a word starts like one;
 * - `Bearer` / `Basic` / `Token` / `SSWS` / `Bot` credentials;
 * - shapes without a fixed start (a suffix, a capability URL, a URL password, a PEM block), run
 *   only when the string contains their literal hint.
 *
 * It returns where the secrets are; the redactor censors them.
 */
import { codeInText, type KeyRules, keptUnderSecretKey } from './keys.js';
import { AUTH_SCHEMES, GENERIC_PATTERNS, type HintedPattern, hintNeeds, type SecretPattern, Seen } from './patterns.js';
import { TOKEN_SHAPES, type TokenShape } from './tokens.js';

/** One secret in a string: `text.slice(start, end)`, found by `rule`. */
export interface Span {
  start: number;
  end: number;
  readonly rule: string;
}

interface Gated extends HintedPattern {
  /** {@link Seen} flags the string must have. */
  readonly needs: number;
  /** The longest `[A-Za-z0-9_-]` run the string must have. */
  readonly minRun: number;
  /** The hint has `--`, which the word walk notes (`-----BEGIN`). */
  readonly dashes: boolean;
}

interface HintGroup {
  readonly needs: number;
  minRun: number;
  readonly patterns: Gated[];
}

/**
 * The longest run of `[A-Za-z0-9_-]` every match of a hinted shape has (most strings have none
 * that long, so the shape is skipped without reading the string again). Each is read off the
 * shape's regex: a bound too high would hide a secret, so a shape not listed gets no bound, and
 * tests/logger/scan-gates.test.ts holds, for each bound, a match whose longest run is exactly it.
 */
export const MIN_RUN: Readonly<Record<string, number>> = {
  'mailchimp-key': 36, // [a-f0-9]{32}-us\d
  'new-relic-license-key': 40, // [a-f0-9]{36}NRAL
  'telegram-bot-token': 35, // :A[A-Za-z0-9_-]{34}
  'terraform-cloud-token': 14, // [A-Za-z0-9]{14}.atlasv1. (`=` may break the rest)
  'azure-ad-client-secret': 2, // \dQ~ (`~` and `.` may break the rest)
  'private-key': 10, // -----BEGIN
  'discord-webhook': 20, // /api/webhooks/\d+/[A-Za-z0-9_-]{20,}
  'google-chat-webhook': 10, // googleapis
  'slack-webhook': 8, // services | workflows | triggers
  'slack-file-token': 5, // slack
  'teams-webhook': 7, // webhook (outlook.office.com/webhook/, x.webhook.office.com/webhookb2/)
  'telegram-bot-url': 8, // telegram
  'zapier-webhook': 6, // zapier
  'user-password-flag': 2, // -u
};

/**
 * Punctuation some hinted shapes need beyond their hint: a `-u` flag is followed by `user:pass`;
 * capability URLs are matched in a URL written with its scheme (`https://hooks.slack.com/...`).
 */
const NEEDS: Readonly<Record<string, number>> = {
  'user-password-flag': Seen.colon,
  'discord-webhook': Seen.colon,
  'google-chat-webhook': Seen.colon,
  'slack-webhook': Seen.colon,
  'teams-webhook': Seen.colon,
  'telegram-bot-url': Seen.colon,
  'zapier-webhook': Seen.colon,
  'slack-file-token': Seen.colon,
};

/**
 * Below this length no provider token (the shortest documented one has 16 characters) and no
 * `Scheme credential` (a scheme word, a space and 8 characters) fits, so the walk looks at no
 * word start (it still notes punctuation for the pairs, flags and URL credentials that fit).
 */
const MIN_WORD_SCAN = 12;

/** A token shape under one of its prefixes. */
interface Starter {
  readonly prefix: string;
  readonly shape: TokenShape;
}

interface UserPattern {
  readonly name: string;
  readonly regex: RegExp;
  readonly secretGroup: number;
  readonly hints: readonly string[] | undefined;
}

enum Ch {
  Tab = 9,
  Newline = 10,
  Space = 32,
  Quote = 34,
  Dollar = 36,
  Apostrophe = 39,
  Dash = 45,
  Slash = 47,
  Colon = 58,
  Equals = 61,
  Backslash = 92,
  Underscore = 95,
  OpenBrace = 123,
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isAlnum(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57);
}

function isNameChar(c: number): boolean {
  return isAlnum(c) || c === Ch.Underscore || c === Ch.Dash || c === 46; // _ - .
}

function isValueStop(c: number): boolean {
  // whitespace & " ' , ; ) } ] >
  return (
    c <= 32 || c === 38 || c === 34 || c === 39 || c === 44 || c === 59 || c === 41 || c === 125 || c === 93 || c === 62
  );
}

function isCredentialChar(c: number): boolean {
  // base64, base64url, and the ~ . of RFC 6750 bearer tokens
  return isAlnum(c) || c === 45 || c === 46 || c === 95 || c === 126 || c === 43 || c === 47 || c === 61;
}

/**
 * The code units of the text being scanned, read by every walk below through `code(i)` instead
 * of `text.charCodeAt(i)`. Once anything in the process subclasses String (ioredis and node-redis
 * do, for RESP3 verbatim strings), V8 stops inlining `charCodeAt` everywhere in the process: a walk
 * over a 60-character string went from 132 to 1,358 ns, and a log line with fresh strings from
 * 0.7x pino's cost to 1.2x. Reads from a typed array are not affected. ASCII text (nearly every
 * log string) is copied in by `TextEncoder.encodeInto`; other text code unit by code unit. Four
 * zeros follow the text: a read just past its end sees 0 where `charCodeAt` gave NaN, and a read
 * before its start `undefined`; neither is a character any rule looks for.
 */
const ENCODER = new TextEncoder();
/** Buffers up to this size are kept between scans; a longer text gets its own for one scan. */
const KEPT_UNITS = 1 << 16;
let units = new Uint16Array(1024);
let bytes = new Uint8Array(1024);

function load(text: string): void {
  const n = text.length;
  if (n + 4 > units.length) {
    let size = units.length;
    while (size < n + 4) size *= 2;
    units = new Uint16Array(size);
    bytes = new Uint8Array(size);
  }
  const { read, written } = ENCODER.encodeInto(text, bytes);
  if (read === n && written === n) for (let i = 0; i < n; i++) units[i] = bytes[i] as number;
  else for (let i = 0; i < n; i++) units[i] = text.charCodeAt(i);
  units[n] = 0;
  units[n + 1] = 0;
  units[n + 2] = 0;
  units[n + 3] = 0;
}

/** Lets go of a buffer a long text needed. */
function unload(): void {
  if (units.length > KEPT_UNITS) {
    units = new Uint16Array(1024);
    bytes = new Uint8Array(1024);
  }
}

/** The code unit at `i` of the text being scanned (0 just past its end). */
function code(i: number): number {
  return units[i] as number;
}

function isSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab;
}

/** `must`, `validation`: a lower-case word, which prose has and credentials rarely are. */
function isLowerWord(from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = code(i);
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/** The next thing is another word: `token validation failed`, `password: must be 12 long`. */
function proseFollows(at: number): boolean {
  return code(at) === Ch.Space && isLetter(code(at + 1));
}

/** A credential after a scheme word: long enough, with letters and digits or mixed case (not a word, not a number). */
function looksLikeCredential(from: number, to: number): boolean {
  if (to - from < 8) return false;
  let digit = false;
  let upper = false;
  let lower = false;
  for (let i = from; i < to; i++) {
    const c = code(i);
    if (c >= 48 && c <= 57) digit = true;
    else if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
  }
  // All digits is an id or a count (`bot 1234567890 joined`), not a credential.
  return (digit && (upper || lower)) || (upper && lower && to - from >= 16);
}

/** `Must`, `must`: a word as prose writes it, first letter maybe upper-case, the rest lower. */
function isProseWord(from: number, to: number): boolean {
  const c = code(from);
  return to > from && ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) && isLowerWord(from + 1, to);
}

/** Words that say what a bearer credential is, not the credential: `Missing Bearer Token`. */
const BEARER_WORDS = new Set(['token', 'tokens', 'auth', 'authentication', 'authorization', 'header', 'scheme']);

/** `Basic` credentials are base64 of `user:password`. */
function isBasicCredential(value: string): boolean {
  if (typeof atob !== 'function') return true;
  try {
    return atob(value).includes(':');
  } catch {
    return false;
  }
}

/** Character classes for the word walk: {@link Seen} punctuation flags, and these. */
const ALNUM = 1 << 8;
const RUN = 1 << 9;
/** A character JSON escapes: a control character, `"`, `\\`, or (beyond ASCII) a surrogate. */
const ESCAPE = 1 << 10;
/** `--` (a long flag, a PEM armour line) and `</` (an XML closing tag), seen in the word walk. */
const DOUBLE_DASH = 1 << 11;
const CLOSING_TAG = 1 << 12;
/** How many {@link Seen} masks there are (the flags are the low bits, below {@link ALNUM}). */
const SEEN_MASKS = 2 * Math.max(...Object.values(Seen));
const CHAR_KIND = new Uint16Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let kind = 0;
  if (/[A-Za-z0-9]/.test(ch)) kind |= ALNUM | RUN;
  if (ch === '_' || ch === '-') kind |= RUN;
  if (ch === ':') kind |= Seen.colon;
  if (ch === '/') kind |= Seen.slash;
  if (ch === '~') kind |= Seen.tilde;
  if (ch === '-') kind |= Seen.dash;
  if (ch === '.') kind |= Seen.dot;
  if (ch === '=') kind |= Seen.equals;
  if (ch === '@') kind |= Seen.at;
  if (c < 32 || ch === '"' || ch === '\\') kind |= ESCAPE;
  CHAR_KIND[c] = kind;
}

/** The first two letters of each authorization scheme word, in any case (`c0 * 128 + c1`). */
const SCHEME_START = new Uint8Array(128 * 128);
for (const scheme of AUTH_SCHEMES) {
  for (const a of [scheme[0] as string, (scheme[0] as string).toUpperCase()]) {
    for (const b of [scheme[1] as string, (scheme[1] as string).toUpperCase()]) {
      SCHEME_START[a.charCodeAt(0) * 128 + b.charCodeAt(0)] = 1;
    }
  }
}

/** Slots of the pair-name table (a power of two). */
const NAME_SLOTS = 512;

const COOKIE_RULES = new Set(['key:cookie', 'key:cookies', 'key:set-cookie']);

/** `<password>x</password>`: an XML element whose name is secret (SOAP and XML bodies). */
const XML_ELEMENT = /<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(?:\s[^<>]*)?>([^<]{1,1000})<\/\1?\2>/g;

const AUTH_RULES = new Set(['key:authorization', 'key:auth', 'key:bearer']);

/** The end of `name: 'DB_PASSWORD', ` (JSON, inspect, escaped JSON) or YAML's `- name: DB_PASSWORD\n` before a `value` pair. */
const ENTRY_NAME =
  /(?:name|Name|key|Key)\\?["']?\s*[:=]\s*(?:\\?["']([A-Za-z_][\w.-]{0,80})\\?["']\s*,|([A-Za-z_][\w.-]{0,80})[ \t]*\r?\n)\s*\\?["']?$/;

export class TextScanner {
  readonly #keys: KeyRules;
  /** Shapes by the first two characters of their prefixes (`c0 * 128 + c1`, ASCII only). */
  readonly #byStart: (Starter[] | undefined)[] = new Array(128 * 128).fill(undefined);
  /**
   * Hinted shapes in groups that need the same punctuation, listed for each {@link Seen} mask a
   * string can have: a string gets only the groups whose punctuation it has, in one lookup.
   */
  readonly #groupsBySeen: HintGroup[][];
  /** Every hinted shape, for the ungated scan. */
  readonly #hinted: Gated[] = [];
  /** What the last walk saw: {@link Seen} flags, the longest token run, `--` and `</`. */
  #seen = 0;
  #longestRun = 0;
  #plainText = false;
  #marks = 0;
  /** Names of pairs and their key rules, by {@link #nameRule}. */
  readonly #names: ({ readonly name: string; readonly rule: string | null } | undefined)[] = new Array(NAME_SLOTS).fill(
    undefined,
  );
  readonly #user: UserPattern[];
  readonly #censorText: string | undefined;
  /** Tests only: run every pattern on every string, to check the gates hide nothing. */
  readonly #ungated: boolean;

  constructor(keys: KeyRules, user: readonly SecretPattern[], censorText: string | undefined, ungated = false) {
    this.#keys = keys;
    this.#censorText = censorText;
    this.#ungated = ungated;
    const hinted: HintedPattern[] = [...GENERIC_PATTERNS];
    for (const shape of TOKEN_SHAPES) {
      if (shape.prefixes !== undefined) {
        for (const prefix of shape.prefixes) {
          const at = prefix.charCodeAt(0) * 128 + prefix.charCodeAt(1);
          if (prefix.length < 2 || !(at < 128 * 128))
            throw new Error(`token shape ${shape.name}: prefix "${prefix}" must start with two ASCII characters`);
          const list = this.#byStart[at] ?? [];
          list.push({ prefix, shape });
          this.#byStart[at] = list;
        }
      } else if (shape.hint !== undefined) {
        hinted.push({ name: shape.name, hint: shape.hint, regex: shape.regex, secretGroup: shape.secretGroup ?? 0 });
      }
    }
    const groups = new Map<number, HintGroup>();
    for (const p of hinted) {
      const gated: Gated = {
        ...p,
        needs: hintNeeds(p.hint) | (NEEDS[p.name] ?? 0),
        minRun: MIN_RUN[p.name] ?? 0,
        dashes: p.hint.includes('--'),
      };
      this.#hinted.push(gated);
      const group = groups.get(gated.needs) ?? { needs: gated.needs, minRun: gated.minRun, patterns: [] };
      group.minRun = Math.min(group.minRun, gated.minRun);
      group.patterns.push(gated);
      groups.set(gated.needs, group);
    }
    const all = [...groups.values()];
    this.#groupsBySeen = Array.from({ length: SEEN_MASKS }, (_, seen) =>
      all.filter((group) => (seen & group.needs) === group.needs),
    );
    this.#user = user.map((p) => ({
      name: p.name,
      regex: new RegExp(p.regex.source, p.regex.flags.includes('g') ? p.regex.flags : `${p.regex.flags}g`),
      secretGroup: p.secretGroup ?? 0,
      hints: p.hints,
    }));
  }

  /**
   * True when the last string scanned has no character JSON escapes (the walk looked at every
   * one): it is written between quotes as it is, and so is what censoring makes of it.
   */
  get plainText(): boolean {
    return this.#plainText;
  }

  /** Where the secrets in `text` are, or null when there are none. */
  scan(text: string): Span[] | null {
    load(text);
    try {
      return this.#scanLoaded(text);
    } finally {
      unload();
    }
  }

  #scanLoaded(text: string): Span[] | null {
    const spans: Span[] = [];
    this.#words(text, spans);
    if (this.#ungated) this.#scanUngated(text, spans);
    else {
      const seen = this.#seen;
      const marks = this.#marks;
      // What the walk saw decides what runs, exactly: each check below is something every match
      // of what it gates has (a separator, `--`, `</`, the punctuation of a hint, a token run).
      if ((seen & (Seen.equals | Seen.colon)) !== 0) this.#pairs(text, spans);
      if ((marks & DOUBLE_DASH) !== 0) this.#flags(text, spans);
      if ((marks & CLOSING_TAG) !== 0) this.#xml(text, spans);
      const run = this.#longestRun;
      const groups = this.#groupsBySeen[seen] as HintGroup[];
      for (let g = 0; g < groups.length; g++) {
        const group = groups[g] as HintGroup;
        if (run < group.minRun) continue;
        for (const pattern of group.patterns) {
          if (run < pattern.minRun || (pattern.dashes && (marks & DOUBLE_DASH) === 0)) continue;
          if (!text.includes(pattern.hint)) continue;
          this.#regex(text, pattern.regex, pattern.secretGroup, pattern.name, spans);
        }
      }
    }
    if (this.#user.length > 0) {
      const lower = text.toLowerCase();
      for (const pattern of this.#user) {
        if (pattern.hints !== undefined && !pattern.hints.some((h) => lower.includes(h))) continue;
        this.#regex(text, pattern.regex, pattern.secretGroup, pattern.name, spans);
      }
    }
    return spans.length === 0 ? null : spans;
  }

  /** Every rule on `text`, with none of the checks that skip one: what the gates must agree with. */
  #scanUngated(text: string, spans: Span[]): void {
    this.#pairs(text, spans);
    this.#flags(text, spans);
    this.#xml(text, spans);
    const colon = text.includes(':');
    for (const pattern of this.#hinted) {
      // A capability URL is looked for in text that writes a URL with its scheme: part of the rule.
      if ((NEEDS[pattern.name] ?? 0) !== 0 && !colon) continue;
      this.#regex(text, pattern.regex, pattern.secretGroup, pattern.name, spans);
    }
  }

  #regex(text: string, regex: RegExp, group: number, rule: string, spans: Span[]): void {
    regex.lastIndex = 0;
    for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
      if (m[0].length === 0) {
        regex.lastIndex++;
        continue;
      }
      const secret = m[group];
      if (secret === undefined || secret.length === 0 || secret === this.#censorText) continue;
      const start = group === 0 ? m.index : m.index + m[0].lastIndexOf(secret);
      spans.push({ start, end: start + secret.length, rule });
    }
  }

  /**
   * Provider tokens at word starts, and the credential after an authorization scheme word; on
   * the way, notes the punctuation and the longest token run the hinted shapes need.
   */
  #words(text: string, spans: Span[]): void {
    const len = text.length;
    let prevAlnum = false;
    let seen = 0;
    let run = 0;
    let longest = 0;
    let marks = 0;
    // Inside a token already found, no word starts a new one. A string too short for any token
    // or scheme credential is walked only for its punctuation.
    let tokenEnd = len < MIN_WORD_SCAN && this.#user.length === 0 && !this.#ungated ? len : 0;
    for (let i = 0; i < len; i++) {
      const c = code(i);
      const kind = c < 128 ? (CHAR_KIND[c] as number) : c >= 0xd800 && c <= 0xdfff ? ESCAPE : 0;
      if ((kind & ALNUM) === 0) {
        if ((kind & RUN) !== 0) run++;
        else {
          if (run > longest) longest = run;
          run = 0;
        }
        seen |= kind;
        prevAlnum = false;
        if (c === Ch.Dash || c === Ch.Slash) {
          const before = code(i - 1);
          if (c === Ch.Dash ? before === Ch.Dash : before === 60) marks |= c === Ch.Dash ? DOUBLE_DASH : CLOSING_TAG;
        }
        continue;
      }
      run++;
      if (prevAlnum) continue;
      prevAlnum = true;
      if (i < tokenEnd) continue;
      const next = code(i + 1);
      const shapes = c < 128 && next < 128 ? this.#byStart[c * 128 + next] : undefined;
      if (shapes !== undefined) {
        const end = this.#token(text, i, shapes, spans);
        if (end > i) {
          tokenEnd = end;
          continue;
        }
      }
      if (c < 128 && next < 128 && SCHEME_START[c * 128 + next] === 1) this.#scheme(text, i, spans);
    }
    this.#seen = seen & (SEEN_MASKS - 1);
    this.#plainText = (seen & ESCAPE) === 0;
    this.#marks = marks;
    this.#longestRun = Math.max(run, longest);
  }

  #token(text: string, at: number, starters: readonly Starter[], spans: Span[]): number {
    for (const { prefix, shape } of starters) {
      if (!text.startsWith(prefix, at)) continue;
      shape.regex.lastIndex = at;
      const m = shape.regex.exec(text);
      if (m !== null) {
        spans.push({ start: at, end: at + m[0].length, rule: shape.name });
        return at + m[0].length;
      }
    }
    return at;
  }

  #scheme(text: string, at: number, spans: Span[]): void {
    let end = at;
    while (end < text.length && isLetter(code(end)) && end - at <= 10) end++;
    if (end - at < 3 || !isSpace(code(end))) return;
    const word = text.slice(at, end).toLowerCase();
    if (!AUTH_SCHEMES.has(word)) return;
    let from = end;
    while (isSpace(code(from))) from++;
    let to = from;
    while (to < text.length && isCredentialChar(code(to))) to++;
    if (to - from < 8) return;
    const value = text.slice(from, to);
    if (value === this.#censorText) return;
    if (word === 'basic') {
      if (!isBasicCredential(value)) return;
    } else if (word === 'bearer') {
      // `bearer token missing`, `Missing Bearer Token`, `Bearer Authentication is required`.
      if (isProseWord(from, to) && (proseFollows(to) || BEARER_WORDS.has(value.toLowerCase()))) return;
    } else if (!looksLikeCredential(from, to)) {
      return;
    }
    spans.push({ start: from, end: to, rule: `auth-scheme:${word}` });
  }

  #xml(text: string, spans: Span[]): void {
    XML_ELEMENT.lastIndex = 0;
    for (let m = XML_ELEMENT.exec(text); m !== null; m = XML_ELEMENT.exec(text)) {
      const rule = this.#keys.match(m[2] as string);
      const value = m[3] as string;
      if (rule === null || value === this.#censorText || keptUnderSecretKey(rule, value)) continue;
      const closing = 3 + (m[1]?.length ?? 0) + (m[2] as string).length; // `</prefix:name>`
      const start = m.index + m[0].length - closing - value.length;
      spans.push({ start, end: start + value.length, rule });
    }
  }

  /** `--password hunter2` (a flag, a space, its value); `--password=x` is a pair. */
  #flags(text: string, spans: Span[]): void {
    const flag = /(?<![\w-])--([A-Za-z][\w.-]*)[ \t]+(["']?)([^\s"'-][^\s"']*)\2/g;
    for (let m = flag.exec(text); m !== null; m = flag.exec(text)) {
      const rule = this.#keys.match(m[1] as string);
      const value = m[3] as string;
      if (rule === null || value === this.#censorText || keptUnderSecretKey(rule, value)) continue;
      const start = m.index + m[0].lastIndexOf(value);
      spans.push({ start, end: start + value.length, rule });
    }
  }

  /**
   * The key rule of the name `text.slice(start, end)`, remembered in a small direct-mapped table
   * compared in place: the names of pairs repeat (`page=`, `api_key=`), and a hit costs no
   * substring and no hash of one.
   */
  #nameRule(text: string, start: number, end: number): string | null {
    const length = end - start;
    const slot = (length * 31 + code(start) * 7 + code(end - 1)) & (NAME_SLOTS - 1);
    const entry = this.#names[slot];
    if (entry !== undefined && entry.name.length === length && text.startsWith(entry.name, start)) return entry.rule;
    const name = text.slice(start, end);
    const rule = this.#keys.match(name);
    if (length <= 64) this.#names[slot] = { name, rule };
    return rule;
  }

  /** The key rule of the `name` just before a `value` pair: `{"name":"DB_PASSWORD","value":...}`. */
  #entryName(text: string, valueAt: number): string | null {
    const m = ENTRY_NAME.exec(text.slice(Math.max(0, valueAt - 120), valueAt));
    return m === null ? null : this.#keys.match((m[1] ?? m[2]) as string);
  }

  /**
   * The value of every `name=value` / `name: value` whose name is secret, scanning by hand (a
   * regex trying a name at every letter costs several times more). Quoted names and values
   * (JSON, `util.inspect`) are understood; placeholders, prose and token counts are kept.
   */
  #pairs(text: string, spans: Span[]): void {
    const len = text.length;
    // Jump from separator to separator: indexOf is native, a loop over every character is not.
    let eq = text.indexOf('=');
    let colon = text.indexOf(':');
    for (let i = 0; i < len; i++) {
      if (eq !== -1 && eq < i) eq = text.indexOf('=', i);
      if (colon !== -1 && colon < i) colon = text.indexOf(':', i);
      if (eq === -1 && colon === -1) return;
      i = eq === -1 ? colon : colon === -1 ? eq : Math.min(eq, colon);
      const c = code(i);
      let end = i;
      // Makefile's `PASSWORD ?= x` and `+=`: the operator's first character is part of the separator.
      if (c === Ch.Equals && (code(end - 1) === 63 || code(end - 1) === 43)) end--;
      while (end > 0 && isSpace(code(end - 1))) end--;
      const q = code(end - 1);
      if (q === Ch.Quote || q === Ch.Apostrophe) {
        end--;
        if (code(end - 1) === Ch.Backslash) end--;
      }
      let start = end;
      while (start > 0 && isNameChar(code(start - 1))) start--;
      while (start < end && code(start) === Ch.Dash) start++;
      if (start === end) continue;
      const first = code(start);
      if (!isLetter(first) && first !== Ch.Underscore) continue;
      // `${NAME}` and `${NAME:-default}` name a variable; they are not a pair.
      if (start >= 2 && code(start - 1) === Ch.OpenBrace && code(start - 2) === Ch.Dollar) continue;
      let from = i + 1;
      const after = code(from);
      if (c === Ch.Colon && after === Ch.Slash) continue; // the `://` of a URL
      // `arn:aws:secretsmanager:...:secret:prod/db`: a segment of a colon-separated name, not a pair.
      if (c === Ch.Colon && start > 0 && code(start - 1) === Ch.Colon && !isSpace(after)) continue;
      if (c === Ch.Equals && after === Ch.Equals) continue; // `==`: base64 padding or a comparison
      let rule = this.#nameRule(text, start, end);
      if (rule === null) {
        // `{ name: 'DB_PASSWORD', value: '...' }` as text: the value is judged by the name before it.
        if (end - start !== 5 || !(text.startsWith('value', start) || text.startsWith('Value', start))) continue;
        rule = this.#entryName(text, start);
        if (rule === null) continue;
      }
      // Go's `password := "x"`: the colon and the equals sign are one separator.
      if (c === Ch.Colon && after === Ch.Equals) from++;
      // Ruby's and PHP's `password => 'x'`: the arrow is a separator when a quoted value follows.
      if (c === Ch.Equals && after === 62) {
        const q = code(from + 1 + (isSpace(code(from + 1)) ? 1 : 0));
        if (q !== Ch.Quote && q !== Ch.Apostrophe) continue;
        from++;
      }
      while (from < len && isSpace(code(from))) from++;
      let open = 0;
      let escaped = false;
      let o = code(from);
      if (o === Ch.OpenBrace || o === 91) continue; // `cookie: { ... }`: a structure, whose own pairs are judged
      if (o === Ch.Backslash) {
        const next = code(from + 1);
        if (next === Ch.Quote || next === Ch.Apostrophe) {
          escaped = true;
          o = next;
          from++;
        }
      }
      if (o === Ch.Quote || o === Ch.Apostrophe) {
        open = o;
        from++;
      }
      let to = from;
      if (open !== 0) {
        while (to < len) {
          const v = code(to);
          if (v === open || v === Ch.Newline || (escaped && v === Ch.Backslash)) break;
          to++;
        }
      } else if (COOKIE_RULES.has(rule)) {
        // `Cookie: a=1; sid=2`: every cookie of the header, to the end of the line.
        while (to < len && code(to) !== Ch.Newline && code(to) !== Ch.Quote) to++;
      } else {
        while (to < len && !isValueStop(code(to))) to++;
      }
      if (to === from) continue;
      const value = text.slice(from, to);
      if (value === this.#censorText || keptUnderSecretKey(rule, value) || codeInText(value)) continue;
      if (open !== 0 && AUTH_RULES.has(rule)) {
        // `"Authorization":"SSWS 00Qc..."`: a known scheme word stays, the credential goes.
        let s = from;
        while (s < to && isLetter(code(s))) s++;
        if (s < to && isSpace(code(s)) && AUTH_SCHEMES.has(text.slice(from, s).toLowerCase())) {
          while (s < to && isSpace(code(s))) s++;
          if (s < to) from = s;
        }
      }
      if (open === 0) {
        if (AUTH_RULES.has(rule) && /^[A-Za-z][A-Za-z0-9-]{1,24}$/.test(value) && isSpace(code(to))) {
          // `Authorization: SSWS 00Qc...`: the scheme stays, the credential after it goes.
          let credFrom = to;
          while (isSpace(code(credFrom))) credFrom++;
          let credTo = credFrom;
          while (credTo < len && !isValueStop(code(credTo))) credTo++;
          if (credTo > credFrom && text.slice(credFrom, credTo) !== this.#censorText) {
            spans.push({ start: credFrom, end: credTo, rule });
            i = credTo - 1;
          }
          continue;
        }
        // `password: must be at least 12 characters` is prose about a password.
        if (c === Ch.Colon && isProseWord(from, to) && proseFollows(to)) continue;
      }
      spans.push({ start: from, end: to, rule });
      i = to - 1;
    }
  }
}
