import { describe } from '../../core/errors.js';
import { checkKnownKeys, checkOptionsObject, intOption } from '../../core/options.js';
import { KeyRules } from './keys.js';
import { AUTH_SCHEMES, BUILTIN_PATTERNS, PREFILTER, type SecretPattern } from './patterns.js';

/** What a censor function is told about the secret it replaces. */
export interface CensorContext {
  /** Where the secret was, e.g. `['user', 'password']` or `['msg']`. */
  readonly path: readonly (string | number)[];
  /** Which rule found it: `'key:password'`, `'path:a.b'`, or a pattern's name such as `'github-token'`. */
  readonly rule: string;
}

/** Options of {@link createRedactor}. */
export interface RedactorOptions {
  /** More secret key words or phrases (`'pin code'`, `'x-internal-sig'`) or RegExps tested on the raw key. */
  readonly keys?: readonly (string | RegExp)[] | undefined;
  /** Exact paths that are secret, e.g. `'user.profile.phone'` or `'items[*].serial'`. */
  readonly paths?: readonly string[] | undefined;
  /** More secret shapes to find inside strings. */
  readonly patterns?: readonly SecretPattern[] | undefined;
  /** What a secret becomes: a string (default `'[REDACTED]'`) or a function of the secret and where it was. */
  readonly censor?: string | ((value: unknown, context: CensorContext) => unknown) | undefined;
  /** Objects nested deeper than this become `'[MaxDepth]'` (default 10). */
  readonly maxDepth?: number | undefined;
  /** Arrays, objects, Maps and Sets keep at most this many entries, then a marker (default 1000). */
  readonly maxItems?: number | undefined;
  /** Strings longer than this are cut, with a marker, before they are scanned (default 100000). */
  readonly maxStringLength?: number | undefined;
}

/**
 * A redactor made by {@link createRedactor}: `redact` returns a copy of its input with every
 * secret replaced, sharing whatever did not change, and never throws.
 */
export interface Redactor {
  /** The value with secrets censored, and Maps, Sets, Errors, Buffers, Dates, BigInts made JSON-safe. */
  redact(value: unknown): unknown;
  /** A string with every secret shape in it censored. */
  redactString(value: string): string;
  /** The rule that makes `key` secret (`'key:password'`), or null. */
  secretKeyRule(key: string): string | null;
}

const KNOWN = ['keys', 'paths', 'patterns', 'censor', 'maxDepth', 'maxItems', 'maxStringLength'] as const;
type Path = (string | number)[];

/** What reading a property returns when its getter (or a proxy trap) throws. */
const UNREADABLE: unique symbol = Symbol('unreadable');

function readKey(obj: object, key: string): unknown {
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}

function isErrorLike(value: object): value is Error {
  try {
    return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
  } catch {
    return false;
  }
}

/** Paths like `a.b[*].c` as segments; `*` matches any key or index. */
function parsePath(path: string): string[] {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(
      `createRedactor: each of "paths" must be a non-empty string like 'a.b[*].c'; got ${describe(path)}`,
    );
  }
  return path
    .replace(/\[(\*|\d+|["'][^"']*["'])\]/g, (_, inner: string) => `.${inner.replace(/^["']|["']$/g, '')}`)
    .split('.')
    .filter((s) => s.length > 0);
}

class Engine implements Redactor {
  readonly #keys: KeyRules;
  readonly #paths: string[][];
  readonly #patterns: SecretPattern[];
  readonly #userPatterns: boolean;
  readonly #censor: (value: unknown, context: CensorContext) => unknown;
  readonly #censorText: string | undefined;
  readonly #maxDepth: number;
  readonly #maxItems: number;
  readonly #maxString: number;
  /**
   * Short strings already scanned and found clean. Logs repeat the same strings (messages, content
   * types, user agents), so most scans are skipped. Only clean strings are kept: the cache never
   * holds a secret. Bounded: cleared when full.
   */
  readonly #clean = new Set<string>();

  constructor(options: RedactorOptions) {
    this.#keys = new KeyRules(options.keys ?? []);
    this.#paths = (options.paths ?? []).map(parsePath);
    const extra = (options.patterns ?? []).map((p) => ({
      name: p.name,
      regex: new RegExp(p.regex.source, p.regex.flags.includes('g') ? p.regex.flags : `${p.regex.flags}g`),
      secretGroup: p.secretGroup ?? 0,
    }));
    this.#userPatterns = extra.length > 0;
    this.#patterns = [...BUILTIN_PATTERNS.map((p) => ({ ...p, secretGroup: p.secretGroup ?? 0 })), ...extra];
    const censor = options.censor ?? '[REDACTED]';
    this.#censorText = typeof censor === 'string' ? censor : undefined;
    this.#censor = typeof censor === 'function' ? censor : () => censor;
    this.#maxDepth = options.maxDepth ?? 10;
    this.#maxItems = options.maxItems ?? 1000;
    this.#maxString = options.maxStringLength ?? 100_000;
  }

  secretKeyRule(key: string): string | null {
    return this.#keys.match(key);
  }

  redact(value: unknown): unknown {
    try {
      return this.#walk(value, [], []);
    } catch {
      // Unreachable by design (every read is guarded); a last line so that logging never throws.
      return '[Unredactable]';
    }
  }

  redactString(value: string): string {
    return this.#string(value, []);
  }

  #hide(value: unknown, path: Path, rule: string): unknown {
    if (this.#censorText !== undefined) return this.#censorText;
    try {
      return this.#censor(value, { path: [...path], rule });
    } catch {
      return '[REDACTED]';
    }
  }

  #string(value: string, path: Path): string {
    let text = value;
    if (text.length > this.#maxString) {
      text = `${text.slice(0, this.#maxString)}...[${text.length - this.#maxString} more chars]`;
    }
    if (text.length < 8 || this.#clean.has(text)) return text;
    const scanned = this.#scan(text, path);
    if (scanned === text && text.length <= 256) {
      if (this.#clean.size >= 4096) this.#clean.clear();
      this.#clean.add(text);
    }
    return scanned;
  }

  #scan(text: string, path: Path): string {
    // `name=value` pairs are judged by the key rules (your own keys included), so they are looked
    // for whenever there is a separator; the prefilter only gates the shape patterns.
    const withParameters = text.includes('=') || text.includes(':') ? this.#parameters(text, path) : text;
    if (!this.#userPatterns && !PREFILTER.test(withParameters)) return withParameters;
    text = withParameters;
    const lower = text.toLowerCase();
    for (const pattern of this.#patterns) {
      if (pattern.hints !== undefined && !hasHint(lower, pattern.hints)) continue;
      pattern.regex.lastIndex = 0;
      const group = pattern.secretGroup ?? 0;
      text = text.replace(pattern.regex, (match: string, ...groups: unknown[]) => {
        const secret = group === 0 ? match : groups[group - 1];
        if (typeof secret !== 'string' || secret.length === 0) return match;
        const hidden = String(this.#hide(secret, path, pattern.name));
        if (group === 0) return hidden;
        const at = match.lastIndexOf(secret);
        return match.slice(0, at) + hidden + match.slice(at + secret.length);
      });
    }
    return text;
  }

  /**
   * Censors the value of every `name=value` / `name: value` whose name is a secret key, scanning
   * by hand: a regex that tries a name at every letter costs several times more.
   */
  #parameters(text: string, path: Path): string {
    let out = '';
    let last = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 61 && c !== 58) continue; // '=' or ':'
      let end = i;
      while (end > 0 && text.charCodeAt(end - 1) === 32) end--;
      let start = end;
      while (start > 0 && isNameChar(text.charCodeAt(start - 1))) start--;
      if (start === end || !isLetter(text.charCodeAt(start))) continue;
      let from = i + 1;
      while (from < text.length && text.charCodeAt(from) === 32) from++;
      if (text.charCodeAt(from) === 34) from++; // an opening quote stays
      let to = from;
      while (to < text.length && !isValueStop(text.charCodeAt(to))) to++;
      if (to === from || text.charCodeAt(from) === 47) continue; // nothing, or '//' of a URL
      const rule = this.#keys.match(text.slice(start, end));
      if (rule === null) continue;
      const value = text.slice(from, to);
      if (AUTH_SCHEMES.test(value) || value === this.#censorText) continue;
      out += text.slice(last, from) + String(this.#hide(value, path, rule));
      last = to;
      i = to - 1;
    }
    return last === 0 ? text : out + text.slice(last);
  }

  #pathRule(path: Path): string | null {
    outer: for (const segments of this.#paths) {
      if (segments.length !== path.length) continue;
      for (let i = 0; i < segments.length; i++) {
        if (segments[i] !== '*' && segments[i] !== String(path[i])) continue outer;
      }
      return `path:${segments.join('.')}`;
    }
    return null;
  }

  /** `value` under a secret key or path: censored, unless it cannot hold a secret. */
  #secret(value: unknown, path: Path, rule: string): unknown {
    if (value === null || value === undefined || typeof value === 'boolean') return value;
    return this.#hide(value, path, rule);
  }

  #walk(value: unknown, path: Path, ancestors: object[]): unknown {
    switch (typeof value) {
      case 'string':
        return this.#string(value, path);
      case 'number':
      case 'boolean':
      case 'undefined':
        return value;
      case 'bigint':
        return value.toString();
      case 'symbol':
        return value.toString();
      case 'function':
        return `[Function ${value.name || 'anonymous'}]`;
    }
    if (value === null) return null;
    const obj = value as object;
    if (ancestors.includes(obj)) return '[Circular]';
    if (ancestors.length >= this.#maxDepth) return '[MaxDepth]';
    ancestors.push(obj);
    try {
      return this.#object(obj, path, ancestors);
    } catch {
      return '[Unreadable]';
    } finally {
      ancestors.pop();
    }
  }

  #object(obj: object, path: Path, ancestors: object[]): unknown {
    const proto = Object.getPrototypeOf(obj);
    if (proto === Object.prototype || proto === null) return this.#plain(obj, path, ancestors, false);
    if (Array.isArray(obj)) return this.#array(obj, path, ancestors);
    if (isErrorLike(obj)) return this.#error(obj, path, ancestors);
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof Map) return this.#entries(obj.entries(), obj.size, path, ancestors);
    if (obj instanceof Set) return this.#array([...obj].slice(0, this.#maxItems + 1), path, ancestors, obj.size);
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
      return `[${obj.constructor?.name ?? 'Binary'} ${obj.byteLength} bytes]`;
    }
    if (obj instanceof RegExp) return obj.toString();
    if (typeof URL !== 'undefined' && obj instanceof URL) return this.#string(obj.href, path);
    return this.#plain(obj, path, ancestors, true);
  }

  #plain(obj: object, path: Path, ancestors: object[], forceCopy: boolean): unknown {
    const keys = Object.keys(obj);
    let out: Record<string, unknown> | undefined = forceCopy ? {} : undefined;
    const limit = Math.min(keys.length, this.#maxItems);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (i >= limit) {
        out ??= copyUpTo(obj, keys, i);
        out['...'] = `[${keys.length - limit} more keys]`;
        break;
      }
      const value = readKey(obj, key);
      path.push(key);
      let next: unknown;
      if (value === UNREADABLE) next = '[Unreadable]';
      else {
        const rule = this.#keys.match(key) ?? (this.#paths.length > 0 ? this.#pathRule(path) : null);
        next = rule === null ? this.#walk(value, path, ancestors) : this.#secret(value, path, rule);
      }
      path.pop();
      if (out === undefined && next !== value) out = copyUpTo(obj, keys, i);
      if (out !== undefined) out[key] = next;
    }
    return out ?? obj;
  }

  #array(list: readonly unknown[], path: Path, ancestors: object[], size = list.length): unknown {
    const limit = Math.min(list.length, this.#maxItems);
    let out: unknown[] | undefined;
    for (let i = 0; i < limit; i++) {
      path.push(i);
      const item = list[i];
      const rule = this.#paths.length > 0 ? this.#pathRule(path) : null;
      const next = rule === null ? this.#walk(item, path, ancestors) : this.#secret(item, path, rule);
      path.pop();
      if (out === undefined && next !== item) out = list.slice(0, i);
      if (out !== undefined) out.push(next);
    }
    if (size > limit) {
      out ??= list.slice(0, limit);
      out.push(`[${size - limit} more items]`);
    }
    return out ?? list;
  }

  #entries(entries: Iterable<[unknown, unknown]>, size: number, path: Path, ancestors: object[]): unknown {
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const [rawKey, value] of entries) {
      if (count++ >= this.#maxItems) {
        out['...'] = `[${size - this.#maxItems} more entries]`;
        break;
      }
      const key = typeof rawKey === 'string' ? rawKey : String(this.#walk(rawKey, path, ancestors));
      path.push(key);
      const rule = this.#keys.match(key) ?? (this.#paths.length > 0 ? this.#pathRule(path) : null);
      out[key] = rule === null ? this.#walk(value, path, ancestors) : this.#secret(value, path, rule);
      path.pop();
    }
    return out;
  }

  #error(err: Error, path: Path, ancestors: object[]): unknown {
    const out: Record<string, unknown> = {};
    const field = (key: string, value: unknown) => {
      if (value === undefined) return;
      path.push(key);
      const rule = this.#keys.match(key);
      out[key] = rule === null ? this.#walk(value, path, ancestors) : this.#secret(value, path, rule);
      path.pop();
    };
    const name = readKey(err, 'name');
    const ctor = readKey(err, 'constructor');
    const ctorName = typeof ctor === 'function' ? readKey(ctor, 'name') : undefined;
    out.type = typeof name === 'string' ? name : typeof ctorName === 'string' ? ctorName : 'Error';
    for (const key of ['message', 'stack', 'code']) {
      const value = readKey(err, key);
      field(key, value === UNREADABLE ? '[Unreadable]' : value);
    }
    let own: string[] = [];
    try {
      own = Object.keys(err);
    } catch {
      own = [];
    }
    for (const key of own) {
      if (key in out || key === 'cause' || key === 'errors') continue;
      const value = readKey(err, key);
      field(key, value === UNREADABLE ? '[Unreadable]' : value);
    }
    const errors = readKey(err, 'errors');
    if (Array.isArray(errors)) field('errors', errors);
    const cause = readKey(err, 'cause');
    if (cause !== undefined && cause !== UNREADABLE) field('cause', cause);
    return out;
  }
}

function hasHint(text: string, hints: readonly string[]): boolean {
  for (const hint of hints) if (text.includes(hint)) return true;
  return false;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isNameChar(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46; // digits _ - .
}

function isValueStop(c: number): boolean {
  // whitespace & " ' , ; ) } ]
  return c <= 32 || c === 38 || c === 34 || c === 39 || c === 44 || c === 59 || c === 41 || c === 125 || c === 93;
}

function copyUpTo(obj: object, keys: readonly string[], end: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let j = 0; j < end; j++) {
    const key = keys[j] as string;
    const value = readKey(obj, key);
    out[key] = value === UNREADABLE ? '[Unreadable]' : value;
  }
  return out;
}

/**
 * A redactor that finds secrets three ways in one pass: by key (a word of the key is a secret
 * word: `password`, `apiKey`, `client_secret`, `x-api-key`...), by exact path, and by shape inside
 * any string (JWTs, `Bearer` credentials, the password of `scheme://user:password@host`,
 * `?token=` parameters, PEM private keys, AWS, GitHub, GitLab, Stripe, Slack, Google, npm,
 * SendGrid, OpenAI and Anthropic keys). Errors become `{ type, message, stack, code, ...props,
 * cause }`, redacted throughout. It never mutates its input and never throws.
 *
 * @example
 * ```ts
 * import { createRedactor } from 'bulwark/logger';
 *
 * const redactor = createRedactor({ keys: ['pin code'], censor: (_, { rule }) => `[REDACTED:${rule}]` });
 * redactor.redact({ user: 'ann', password: 'hunter2', note: 'token ghp_0123456789abcdefghijklmnopqrstuvwxyz' });
 * // { user: 'ann', password: '[REDACTED:key:password]', note: 'token [REDACTED:github-token]' }
 * ```
 */
export function createRedactor(options?: RedactorOptions): Redactor {
  const where = 'createRedactor';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, KNOWN);
  const o = options ?? {};
  if (
    o.keys !== undefined &&
    (!Array.isArray(o.keys) || o.keys.some((k) => typeof k !== 'string' && !(k instanceof RegExp)))
  ) {
    throw new TypeError(`${where}: option "keys" must be an array of strings or RegExps; got ${describe(o.keys)}`);
  }
  if (o.paths !== undefined && !Array.isArray(o.paths)) {
    throw new TypeError(
      `${where}: option "paths" must be an array of strings like 'a.b[*].c'; got ${describe(o.paths)}`,
    );
  }
  if (
    o.patterns !== undefined &&
    (!Array.isArray(o.patterns) || o.patterns.some((p) => typeof p?.name !== 'string' || !(p.regex instanceof RegExp)))
  ) {
    throw new TypeError(`${where}: option "patterns" must be an array of { name, regex }; got ${describe(o.patterns)}`);
  }
  if (o.censor !== undefined && typeof o.censor !== 'string' && typeof o.censor !== 'function') {
    throw new TypeError(
      `${where}: option "censor" must be a string or a function (value, { path, rule }) => unknown; got ${describe(o.censor)}`,
    );
  }
  return new Engine({
    ...o,
    maxDepth: intOption(where, 'maxDepth', o.maxDepth, 10),
    maxItems: intOption(where, 'maxItems', o.maxItems, 1000),
    maxStringLength: intOption(where, 'maxStringLength', o.maxStringLength, 100_000),
  });
}
