import { describe } from '../../core/errors.js';
import { checkKnownKeys, checkOptionsObject, intOption } from '../../core/options.js';
import { CONNECTION_RULES, isMetadataKey, KeyRules, keptUnderSecretKey } from './keys.js';
import type { SecretPattern } from './patterns.js';
import { type Span, TextScanner } from './text.js';

/** What a censor function is told about the secret it replaces. */
export interface CensorContext {
  /** Where the secret was, e.g. `['user', 'password']` or `['msg']`. */
  readonly path: readonly (string | number)[];
  /**
   * Which rule found it: `'key:password'`, `'path:a.b'`, a token shape such as `'github-token'`,
   * `'url-password'`, or `'auth-scheme:bearer'`.
   */
  readonly rule: string;
}

/** One secret {@link Redactor.explain} found: where it was and the rule that found it. */
export interface Finding {
  /** Where the secret was, e.g. `['req', 'headers', 'authorization']`; a string's secrets share its path. */
  readonly path: readonly (string | number)[];
  /** The rule, as a censor function would be told it (see {@link CensorContext.rule}). */
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
 * A redactor made by {@link createRedactor}. `redact` returns a fresh, JSON-safe copy of its input
 * with every secret replaced: each property is read once, and `JSON.stringify` of the result runs
 * no code of yours (no getter, Proxy trap or `toJSON`), so what is serialized is what was redacted.
 * It never throws.
 */
export interface Redactor {
  /**
   * The value with secrets censored; Maps, Headers, URLSearchParams become objects of their
   * entries, Sets arrays, Errors `{ type, message, stack, ... }`, Dates ISO strings, BigInts
   * strings, and `toJSON` is called once (as `JSON.stringify` would) and its result redacted.
   */
  redact(value: unknown): unknown;
  /** A string with every secret shape in it censored. */
  redactString(value: string): string;
  /** The rule that makes `key` secret (`'key:password'`), or null. */
  secretKeyRule(key: string): string | null;
  /**
   * Every secret `redact(value)` would censor, with where it was and the rule that found it, so
   * that a `[REDACTED]` in a log can be explained (and a false one reported).
   *
   * @example
   * ```ts
   * import { createRedactor } from 'bulwark/logger';
   *
   * createRedactor().explain({ db: 'postgres://app:hunter22@db/main', token_type: 'Bearer' });
   * // [{ path: ['db'], rule: 'url-password' }]
   * ```
   */
  explain(value: unknown): Finding[];
}

const KNOWN = ['keys', 'paths', 'patterns', 'censor', 'maxDepth', 'maxItems', 'maxStringLength'] as const;
type Path = (string | number)[];

/** What reading a property returns when its getter (or a proxy trap) throws. */
const UNREADABLE: unique symbol = Symbol('unreadable');

/** Clean strings up to this long are remembered, in this many slots (a power of two). */
const CACHE_MAX = 256;
const CACHE_SLOTS = 4096;

/** A clean string's slot in the table: from its length and three of its characters (`length >= 1`). */
function slotOf(text: string, length: number): number {
  return (
    (length * 31 + text.charCodeAt(0) * 131 + text.charCodeAt(length >> 1) * 17 + text.charCodeAt(length - 1)) &
    (CACHE_SLOTS - 1)
  );
}

/** {@link Engine} writes a key's value with its rule and its JSON name, both remembered. */
interface KeyEntry {
  /** The key as written: itself, or redacted when it holds a secret (a token used as a map key). */
  readonly name: string;
  /** `"key":` */
  readonly json: string;
  /** `,"key":` */
  readonly next: string;
  readonly rule: string | null;
}

/** `keys` has `value` or `Value` (an entry such as `{ name, value }` may be one). */
function hasValueKey(keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === 'value' || key === 'Value') return true;
  }
  return false;
}

/** An object only the redacting walk handles (see `Engine#members`). */
const SLOW: unique symbol = Symbol('slow');

/** What JSON escapes in a string: control characters, `"`, `\\` and lone surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters JSON escapes
const ESCAPED = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** A string as JSON text: most need no escape, and a test is cheaper than `JSON.stringify`. */
function quote(text: string): string {
  return text.length < 5000 && !ESCAPED.test(text) ? `"${text}"` : JSON.stringify(text);
}

/** At most this many objects are visited per call, so a huge input costs a bounded time. */
const MAX_OBJECTS = 50_000;

function readKey(obj: object, key: string | number): unknown {
  try {
    return (obj as Record<string | number, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}

function isErrorLike(value: object): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

/** Sets `out[key]`, `__proto__` included, as an own data property: no input touches a prototype. */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
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

/** `scheme://user[:password]@`: the user info of a URL at the start of a string. */
const URL_USER = /^([a-zA-Z][\w+.-]*:\/\/)([^\s:@/?#]*)(:[^\s@/?#]*)?@/;

/** An argv element naming a secret flag: `--password`, `--api-key` (the next element is its value). */
const FLAG = /^--?([A-Za-z][\w.-]*)$/;
/** `['Authorization', 'Basic ...']`: a header pair's name. */
const PAIR_NAME = /^[A-Za-z_][\w.-]*$/;

class Engine implements Redactor {
  readonly #keys: KeyRules;
  readonly #paths: string[][];
  readonly #scanner: TextScanner;
  readonly #censor: (value: unknown, context: CensorContext) => unknown;
  readonly #censorText: string | undefined;
  readonly #maxDepth: number;
  readonly #maxItems: number;
  readonly #maxString: number;
  /** Set while `explain` runs: every censored secret is recorded here. */
  #findings: Finding[] | undefined;
  /**
   * Whether the walk keeps `path` up to date: only paths, a censor function and `explain` read
   * it, and a fixed censor with no paths (the logger's default) saves two array writes a key.
   */
  #track: boolean;
  readonly #trackAlways: boolean;
  #objects = 0;
  /**
   * Strings already scanned and found clean, in a direct-mapped table: a slot is chosen from the
   * length and three characters, and a hit is a full `===` comparison. Logs repeat the same
   * strings (messages, content types, user agents), so most scans are skipped; a fresh string
   * costs three character reads and one store, never a hash of the whole string. Only clean
   * strings are kept: the table never holds a secret.
   */
  readonly #clean: (string | undefined)[] = new Array(CACHE_SLOTS).fill(undefined);
  /** The JSON text of the string in the same slot of {@link #clean}, once written. */
  readonly #cleanJson: (string | undefined)[] = new Array(CACHE_SLOTS).fill(undefined);
  /** The censor as JSON text, when it is a fixed string (then {@link fieldsJson} can write lines). */
  readonly #censorJson: string | undefined;
  /** The censor is a string JSON writes as it is (between quotes, nothing escaped). */
  readonly #censorPlain: boolean;
  /** Keys seen by {@link fieldsJson}: their rule and their JSON name. */
  readonly #keyEntries = new Map<string, KeyEntry>();
  /** Set when the root of {@link fieldsJson} was written as members (`,"a":1`), not as a value. */
  #rootMembers = false;

  constructor(options: RedactorOptions) {
    this.#keys = new KeyRules(options.keys ?? []);
    this.#paths = (options.paths ?? []).map(parsePath);
    const censor = options.censor ?? '[REDACTED]';
    this.#censorText = typeof censor === 'string' ? censor : undefined;
    this.#censorJson = typeof censor === 'string' ? JSON.stringify(censor) : undefined;
    this.#censorPlain = typeof censor === 'string' && this.#censorJson === `"${censor}"`;
    this.#censor = typeof censor === 'function' ? censor : () => censor;
    this.#scanner = new TextScanner(this.#keys, options.patterns ?? [], this.#censorText);
    this.#trackAlways = this.#paths.length > 0 || this.#censorText === undefined;
    this.#track = this.#trackAlways;
    this.#maxDepth = options.maxDepth ?? 10;
    this.#maxItems = options.maxItems ?? 1000;
    this.#maxString = options.maxStringLength ?? 100_000;
  }

  secretKeyRule(key: string): string | null {
    return this.#keys.match(key);
  }

  redact(value: unknown): unknown {
    this.#objects = 0;
    try {
      return this.#walk(value, [], [], '', null);
    } catch {
      // Unreachable by design (every read is guarded); a last line so that logging never throws.
      return '[Unredactable]';
    }
  }

  redactString(value: string): string {
    return this.#string(value, []);
  }

  explain(value: unknown): Finding[] {
    const outer = this.#findings;
    const findings: Finding[] = [];
    this.#findings = findings;
    this.#track = true;
    try {
      this.redact(value);
    } finally {
      this.#findings = outer;
      this.#track = outer !== undefined || this.#trackAlways;
    }
    return findings;
  }

  /**
   * The logger's fields as a line fragment (`,"a":1,"b":"[REDACTED]"`, or `''`), equal to
   * `fragment(JSON.stringify(redact(fields)))` but written in one walk: the JSON text is built
   * while redacting, with no redacted copy in between. Plain objects and arrays are written here;
   * anything rarer (Errors, Maps, Sets, class instances, an object whose getter throws, an
   * object with more than `maxItems` keys, a `{ name, value }` entry) is redacted by the walk
   * above and serialized with `JSON.stringify`, so both ways agree by construction. Only for a
   * string censor (a censor function may return anything, which only `JSON.stringify` can write).
   */
  fieldsJson(fields: object): string {
    this.#objects = 0;
    this.#rootMembers = false;
    let text: string | undefined;
    try {
      text = this.#json(fields, [], [], '', null, true);
    } catch {
      // Unreachable by design, as in `redact`: its '[Unredactable]' is no object, so no fields.
      return '';
    }
    if (this.#rootMembers) return text as string;
    return spliced(text);
  }

  /** `JSON.stringify(redactString(text))`, a clean string's JSON text remembered. */
  stringJson(text: string): string {
    return this.#stringJson(text, []);
  }

  /** True when {@link fieldsJson} can write lines: the censor is a fixed string. */
  get writesJson(): boolean {
    return this.#censorJson !== undefined;
  }

  /** The rule and JSON name (`"key":`) of `key`, remembered: keys repeat from line to line. */
  #keyEntry(key: string): KeyEntry {
    let entry = this.#keyEntries.get(key);
    if (entry === undefined) {
      if (this.#keyEntries.size >= 10_000) this.#keyEntries.clear();
      const name = this.#string(key, []);
      const json = `${JSON.stringify(name)}:`;
      entry = { name, json, next: `,${json}`, rule: this.#keys.match(key) };
      this.#keyEntries.set(key, entry);
    }
    return entry;
  }

  /** The JSON text of `#walk(value, ...)` (undefined where the walk gives undefined). */
  #json(
    value: unknown,
    path: Path,
    ancestors: object[],
    key: string,
    secret: string | null,
    root: boolean,
  ): string | undefined {
    switch (typeof value) {
      case 'string':
        if (secret === null || keptUnderSecretKey(secret, value)) return this.#stringJson(value, path);
        if (CONNECTION_RULES.has(secret)) return quote(this.#connection(value, path, secret));
        this.#hide(value, path, secret);
        return this.#censorJson;
      case 'number':
        if (secret !== null && !keptUnderSecretKey(secret, value)) {
          this.#hide(value, path, secret);
          return this.#censorJson;
        }
        return Number.isFinite(value) ? String(value) : 'null';
      case 'boolean':
        return value ? 'true' : 'false';
      case 'undefined':
        return undefined;
      case 'bigint':
      case 'symbol':
      case 'function':
        return JSON.stringify(this.#walk(value, path, ancestors, key, secret));
    }
    if (value === null) return 'null';
    const obj = value as object;
    if (ancestors.includes(obj)) return '"[Circular]"';
    if (ancestors.length >= this.#maxDepth) return '"[MaxDepth]"';
    if (++this.#objects > MAX_OBJECTS) return '"[Truncated]"';
    ancestors.push(obj);
    try {
      return this.#jsonObject(obj, path, ancestors, key, secret, root);
    } catch {
      return '"[Unreadable]"';
    } finally {
      ancestors.pop();
    }
  }

  /** {@link #object} as JSON text: the same checks in the same order. */
  #jsonObject(
    obj: object,
    path: Path,
    ancestors: object[],
    key: string,
    secret: string | null,
    root: boolean,
  ): string | undefined {
    const proto = Object.getPrototypeOf(obj);
    const plain = proto === Object.prototype || proto === null;
    if (
      !plain &&
      (!Array.isArray(obj) || ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer || obj instanceof Date)
    ) {
      return JSON.stringify(this.#object(obj, path, ancestors, key, secret, proto));
    }
    let toJSON: unknown;
    try {
      toJSON = (obj as { toJSON?: unknown }).toJSON;
    } catch {
      return '"[Unreadable]"';
    }
    if (typeof toJSON === 'function') {
      let result: unknown;
      try {
        result = toJSON.call(obj, key);
      } catch {
        return '"[Unreadable]"';
      }
      if (result !== obj) return this.#json(result, path, ancestors, key, secret, root);
    }
    if (!plain) return this.#jsonArray(obj as unknown[], path, ancestors, secret);
    const objects = this.#objects;
    const members = this.#members(obj, path, ancestors, secret, root);
    if (members === SLOW) {
      // Undo what the partial walk counted, and redact this object the old way.
      this.#objects = objects;
      return JSON.stringify(this.#plain(obj, path, ancestors, secret));
    }
    if (members === UNREADABLE) {
      this.#objects = objects;
      return JSON.stringify(this.#plainByKey(obj, path, ancestors, secret));
    }
    if (root) {
      this.#rootMembers = true;
      return members;
    }
    return `{${members}}`;
  }

  /**
   * {@link #plain} as JSON members (`"a":1,"b":2`; at the root `,"a":1,"b":2`), reading each property once.
   * SLOW for the shapes only {@link #plain} handles, decided before any property is read;
   * UNREADABLE when a getter throws (then {@link #plainByKey} reads them all again, as it does
   * after the spread of {@link #plain} throws).
   */
  #members(
    obj: object,
    path: Path,
    ancestors: object[],
    secret: string | null,
    root: boolean,
  ): string | typeof SLOW | typeof UNREADABLE {
    const keys = Object.keys(obj);
    const n = keys.length;
    if (n > this.#maxItems || (n <= 8 && hasValueKey(keys))) return SLOW;
    const track = this.#track;
    const paths = this.#paths.length > 0;
    let out = '';
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      let value: unknown;
      try {
        value = (obj as Record<string, unknown>)[key];
      } catch {
        return UNREADABLE;
      }
      const entry = this.#keyEntry(key);
      if (track) path.push(key);
      let rule = entry.rule ?? (paths ? this.#pathRule(path) : null);
      if (secret !== null) rule = rule ?? (isMetadataKey(key) ? null : secret);
      const text =
        rule === null && typeof value === 'string'
          ? this.#stringJson(value, path)
          : this.#json(value, path, ancestors, key, rule, false);
      if (track) path.pop();
      if (text !== undefined) out += (out.length === 0 && !root ? entry.json : entry.next) + text;
    }
    return out;
  }

  /** {@link #array} as JSON text. */
  #jsonArray(list: readonly unknown[], path: Path, ancestors: object[], secret: string | null): string {
    const length = list.length;
    const limit = Math.min(list.length, this.#maxItems);
    let out = '[';
    let pending: string | null = null;
    for (let i = 0; i < limit; i++) {
      const item = readKey(list, i);
      path.push(i);
      let text: string | undefined;
      if (item === UNREADABLE) text = '"[Unreadable]"';
      else if (pending === 'user-password-flag' && typeof item === 'string' && item.includes(':')) {
        const at = item.indexOf(':');
        text = quote(`${item.slice(0, at + 1)}${String(this.#hide(item.slice(at + 1), path, pending))}`);
      } else {
        const rule =
          secret ??
          (pending === 'user-password-flag' ? null : pending) ??
          (this.#paths.length > 0 ? this.#pathRule(path) : null);
        text = this.#json(item, path, ancestors, String(i), rule, false);
      }
      path.pop();
      out += (i === 0 ? '' : ',') + (text ?? 'null');
      pending = typeof item === 'string' && secret === null ? this.#elementRule(item, i, list.length) : null;
    }
    if (length > limit) out += `${limit === 0 ? '' : ','}${quote(`[${length - limit} more items]`)}`;
    return `${out}]`;
  }

  #hide(value: unknown, path: Path, rule: string): unknown {
    if (this.#findings !== undefined) this.#findings.push({ path: [...path], rule });
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
    const length = text.length;
    if (length === 0) return text;
    const slot = length <= CACHE_MAX ? slotOf(text, length) : -1;
    if (slot !== -1 && this.#clean[slot] === text) return text;
    const spans = this.#scanner.scan(text);
    if (spans === null) {
      if (slot !== -1) {
        this.#clean[slot] = text;
        this.#cleanJson[slot] = undefined;
      }
      return text;
    }
    return this.#censorSpans(text, spans, path);
  }

  /** `quote(#string(value, path))`, with a clean string's JSON text remembered beside it. */
  #stringJson(value: string, path: Path): string {
    const length = value.length;
    if (length === 0) return '""';
    if (length > CACHE_MAX || length > this.#maxString) return quote(this.#string(value, path));
    const slot = slotOf(value, length);
    if (this.#clean[slot] === value) {
      let json = this.#cleanJson[slot];
      if (json === undefined) {
        json = quote(value);
        this.#cleanJson[slot] = json;
      }
      return json;
    }
    const spans = this.#scanner.scan(value);
    // The scan has looked at every character: a plain string, and a plain censor put in it, need no escape.
    const plain = this.#scanner.plainText;
    if (spans === null) {
      const json = plain ? `"${value}"` : quote(value);
      this.#clean[slot] = value;
      this.#cleanJson[slot] = json;
      return json;
    }
    const censored = this.#censorSpans(value, spans, path);
    return plain && this.#censorPlain ? `"${censored}"` : quote(censored);
  }

  /**
   * A connection string under `dsn` or `connectionString`: its credentials censored, its host
   * kept. A URL's user name counts as a credential when no password follows (a Sentry DSN's
   * key); a `Password=...;` string is scanned as any text; anything else is censored whole.
   */
  #connection(value: string, path: Path, rule: string): string {
    const url = URL_USER.exec(value);
    if (url !== null) {
      const [, scheme, user, password] = url as unknown as [string, string, string, string | undefined];
      if (password === undefined && user.length > 0) {
        const rest = value.slice(url[0].length - 1);
        return `${scheme}${String(this.#hide(user, path, rule))}${this.#string(rest, path)}`;
      }
      return this.#string(value, path);
    }
    if (value.includes('://') || value.includes('=')) return this.#string(value, path);
    return String(this.#hide(value, path, rule));
  }

  /** `text` with each span censored; overlapping spans are censored as one. */
  #censorSpans(text: string, spans: Span[], path: Path): string {
    if (spans.length === 1) {
      const { start, end, rule } = spans[0] as Span;
      return text.slice(0, start) + String(this.#hide(text.slice(start, end), path, rule)) + text.slice(end);
    }
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    let out = '';
    let last = 0;
    let current: Span | undefined;
    const flush = (span: Span) => {
      out += text.slice(last, span.start) + String(this.#hide(text.slice(span.start, span.end), path, span.rule));
      last = span.end;
    };
    for (const span of spans) {
      if (current !== undefined && span.start < current.end) {
        if (span.end > current.end) current.end = span.end;
        continue;
      }
      if (current !== undefined) flush(current);
      current = { start: span.start, end: span.end, rule: span.rule };
    }
    if (current !== undefined) flush(current);
    return out + text.slice(last);
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

  /** The rule for the value under `key` at `path` (already pushed), or null. */
  #rule(key: string, path: Path): string | null {
    return this.#keys.match(key) ?? (this.#paths.length > 0 ? this.#pathRule(path) : null);
  }

  /**
   * `value` made JSON-safe and redacted. `secret` is the rule when the value sits under a secret
   * key or path: then every leaf is censored, except booleans, nulls, placeholders and, inside
   * an object, metadata keys (a session cookie's `maxAge` and `sameSite`).
   */
  #walk(value: unknown, path: Path, ancestors: object[], key: string, secret: string | null): unknown {
    switch (typeof value) {
      case 'string':
        if (secret === null || keptUnderSecretKey(secret, value)) return this.#string(value, path);
        return CONNECTION_RULES.has(secret) ? this.#connection(value, path, secret) : this.#hide(value, path, secret);
      case 'number':
        if (secret !== null && !keptUnderSecretKey(secret, value)) return this.#hide(value, path, secret);
        return value;
      case 'boolean':
      case 'undefined':
        return value;
      case 'bigint':
        return secret !== null ? this.#hide(value, path, secret) : value.toString();
      case 'symbol':
        return secret !== null ? this.#hide(value, path, secret) : value.toString();
      case 'function':
        return secret !== null ? this.#hide(value, path, secret) : `[Function ${functionName(value)}]`;
    }
    if (value === null) return null;
    const obj = value as object;
    if (ancestors.includes(obj)) return '[Circular]';
    if (ancestors.length >= this.#maxDepth) return '[MaxDepth]';
    if (++this.#objects > MAX_OBJECTS) return '[Truncated]';
    ancestors.push(obj);
    try {
      return this.#object(obj, path, ancestors, key, secret);
    } catch {
      return '[Unreadable]';
    } finally {
      ancestors.pop();
    }
  }

  #object(
    obj: object,
    path: Path,
    ancestors: object[],
    key: string,
    secret: string | null,
    proto: unknown = Object.getPrototypeOf(obj),
  ): unknown {
    const plain = proto === Object.prototype || proto === null;
    if (!plain) {
      if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
        return secret !== null ? this.#hide('[binary]', path, secret) : `[${binaryName(obj)} ${obj.byteLength} bytes]`;
      }
      if (obj instanceof Date) {
        if (secret !== null) return this.#hide('[date]', path, secret);
        return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
      }
    }
    // What JSON.stringify would serialize: toJSON's result (read once, here), then redacted.
    const toJSON = readKey(obj, 'toJSON');
    if (toJSON === UNREADABLE) return '[Unreadable]';
    if (typeof toJSON === 'function') {
      let result: unknown;
      try {
        result = toJSON.call(obj, key);
      } catch {
        return '[Unreadable]';
      }
      if (result !== obj) return this.#walk(result, path, ancestors, key, secret);
    }
    if (plain) return this.#plain(obj, path, ancestors, secret);
    if (Array.isArray(obj)) return this.#array(obj, path, ancestors, secret);
    if (obj instanceof Set) {
      const items: unknown[] = [];
      for (const item of obj) {
        if (items.length > this.#maxItems) break;
        items.push(item);
      }
      return this.#array(items, path, ancestors, secret, obj.size);
    }
    if (secret !== null) {
      // A secret whose parts we do not know how to tell apart: censored whole.
      if (isErrorLike(obj) || obj instanceof Map || isEntries(obj)) return this.#hide('[object]', path, secret);
      return this.#plain(obj, path, ancestors, secret);
    }
    if (isErrorLike(obj)) return this.#error(obj, path, ancestors);
    if (obj instanceof Map) return this.#entries(obj.entries(), obj.size, path, ancestors);
    if (isEntries(obj)) return this.#entries((obj as Headers).entries(), undefined, path, ancestors);
    if (obj instanceof RegExp) return obj.toString();
    return this.#plain(obj, path, ancestors, null);
  }

  /**
   * A plain copy of `obj`, redacted. Every property is read once, by one spread (getters and
   * Proxy traps run there and only there; the spread is also V8's fastest way to copy), and the
   * copy is redacted in place: what is serialized is exactly what was redacted.
   */
  #plain(obj: object, path: Path, ancestors: object[], secret: string | null): Record<string, unknown> {
    let copy: Record<string, unknown>;
    try {
      copy = { ...obj } as Record<string, unknown>;
    } catch {
      return this.#plainByKey(obj, path, ancestors, secret);
    }
    let keys = Object.keys(copy);
    if (keys.length > this.#maxItems) {
      const cut: Record<string, unknown> = {};
      for (let i = 0; i < this.#maxItems; i++) put(cut, keys[i] as string, copy[keys[i] as string]);
      cut['...'] = `[${keys.length - this.#maxItems} more keys]`;
      keys = keys.slice(0, this.#maxItems);
      copy = cut;
    }
    const valueRule =
      keys.length <= 8 && (keys.includes('value') || keys.includes('Value')) ? this.#entryRule(copy) : null;
    const track = this.#track;
    for (const key of keys) {
      const value = copy[key];
      if (track) path.push(key);
      let rule = valueRule !== null && (key === 'value' || key === 'Value') ? valueRule : this.#rule(key, path);
      if (secret !== null) rule = rule ?? (isMetadataKey(key) ? null : secret);
      let next: unknown;
      if (rule === null && typeof value === 'string') next = this.#string(value, path);
      else if (rule === null && (typeof value === 'number' || typeof value === 'boolean')) next = value;
      else next = this.#walk(value, path, ancestors, key, rule);
      if (track) path.pop();
      const name = this.#keyEntry(key).name;
      if (name !== key) {
        // A secret used as a key (a token-keyed cache): written under its redacted name.
        delete copy[key];
        put(copy, name, next);
      }
      // An own `__proto__` data property (made by the spread) is written as data, not as the prototype.
      else if (next !== value) copy[key] = next;
    }
    return copy;
  }

  /** The slow way, when a getter throws: property by property, a marker for each unreadable one. */
  #plainByKey(obj: object, path: Path, ancestors: object[], secret: string | null): Record<string, unknown> {
    const keys = Object.keys(obj);
    const n = Math.min(keys.length, this.#maxItems);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      const value = readKey(obj, key);
      path.push(key);
      let next: unknown = '[Unreadable]';
      if (value !== UNREADABLE) {
        let rule = this.#rule(key, path);
        if (secret !== null) rule = rule ?? (isMetadataKey(key) ? null : secret);
        next = this.#walk(value, path, ancestors, key, rule);
      }
      path.pop();
      put(out, this.#keyEntry(key).name, next);
    }
    if (keys.length > n) out['...'] = `[${keys.length - n} more keys]`;
    return out;
  }

  /**
   * `{ name: 'DB_PASSWORD', value: '...' }` (a Kubernetes or ECS environment entry, a form
   * field): the rule the name gives the value, or null.
   */
  #entryRule(copy: Record<string, unknown>): string | null {
    const name = copy.name ?? copy.Name ?? copy.key ?? copy.Key;
    return typeof name === 'string' ? this.#keys.match(name) : null;
  }

  #array(list: readonly unknown[], path: Path, ancestors: object[], secret: string | null, size?: number): unknown[] {
    const length = size ?? list.length;
    const limit = Math.min(list.length, this.#maxItems);
    const out: unknown[] = [];
    // The rule an element gives the next one: argv `['--password', 'x']`, a header pair `['Authorization', 'x']`.
    let pending: string | null = null;
    for (let i = 0; i < limit; i++) {
      const item = readKey(list, i);
      path.push(i);
      let next: unknown;
      if (item === UNREADABLE) next = '[Unreadable]';
      else if (pending === 'user-password-flag' && typeof item === 'string' && item.includes(':')) {
        const at = item.indexOf(':');
        next = `${item.slice(0, at + 1)}${String(this.#hide(item.slice(at + 1), path, pending))}`;
      } else {
        const rule =
          secret ??
          (pending === 'user-password-flag' ? null : pending) ??
          (this.#paths.length > 0 ? this.#pathRule(path) : null);
        next = this.#walk(item, path, ancestors, String(i), rule);
      }
      path.pop();
      out.push(next);
      pending = typeof item === 'string' && secret === null ? this.#elementRule(item, i, list.length) : null;
    }
    if (length > limit) out.push(`[${length - limit} more items]`);
    return out;
  }

  #elementRule(item: string, index: number, length: number): string | null {
    if (item === '-u' || item === '--user') return 'user-password-flag';
    const flag = FLAG.exec(item);
    if (flag !== null) return this.#keys.match(flag[1] as string);
    if (index === 0 && length === 2 && PAIR_NAME.test(item)) return this.#keys.match(item);
    return null;
  }

  #entries(entries: Iterable<[unknown, unknown]>, size: number | undefined, path: Path, ancestors: object[]): unknown {
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const [rawKey, value] of entries) {
      if (count++ >= this.#maxItems) {
        out['...'] = size === undefined ? '[more entries]' : `[${size - this.#maxItems} more entries]`;
        break;
      }
      const key = typeof rawKey === 'string' ? rawKey : String(this.#walk(rawKey, path, ancestors, '', null));
      path.push(key);
      put(out, this.#keyEntry(key).name, this.#walk(value, path, ancestors, key, this.#rule(key, path)));
      path.pop();
    }
    return out;
  }

  #error(err: Error, path: Path, ancestors: object[]): unknown {
    const out: Record<string, unknown> = {};
    const field = (key: string, value: unknown) => {
      if (value === undefined) return;
      path.push(key);
      put(
        out,
        key,
        value === UNREADABLE ? '[Unreadable]' : this.#walk(value, path, ancestors, key, this.#keys.match(key)),
      );
      path.pop();
    };
    const name = readKey(err, 'name');
    const ctor = readKey(err, 'constructor');
    const ctorName = typeof ctor === 'function' ? readKey(ctor, 'name') : undefined;
    out.type = typeof name === 'string' ? name : typeof ctorName === 'string' ? ctorName : 'Error';
    for (const key of ['message', 'stack', 'code']) field(key, readKey(err, key));
    let own: string[] = [];
    try {
      own = Object.keys(err);
    } catch {
      own = [];
    }
    for (const key of own) {
      if (Object.hasOwn(out, key) || key === 'cause' || key === 'errors') continue;
      field(key, readKey(err, key));
    }
    const errors = readKey(err, 'errors');
    if (Array.isArray(errors)) field('errors', errors);
    const cause = readKey(err, 'cause');
    if (cause !== undefined) field('cause', cause);
    return out;
  }
}

/** Headers and URLSearchParams: logged as their entries (JSON.stringify would give `{}`). */
function isEntries(obj: object): boolean {
  return (
    (typeof Headers !== 'undefined' && obj instanceof Headers) ||
    (typeof URLSearchParams !== 'undefined' && obj instanceof URLSearchParams)
  );
}

function functionName(fn: unknown): string {
  try {
    const name = (fn as { name?: unknown }).name;
    return typeof name === 'string' && name !== '' ? name : 'anonymous';
  } catch {
    return 'anonymous';
  }
}

function binaryName(obj: object): string {
  try {
    const name = (obj as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' ? name : 'Binary';
  } catch {
    return 'Binary';
  }
}

/**
 * How the logger writes a line's fields in one redacting walk (`,"a":1,"b":"[REDACTED]"`), when
 * `redactor` is made by {@link createRedactor} with a string censor; undefined otherwise (then
 * the logger redacts, and serializes the copy). Internal.
 */
export function fieldsWriter(redactor: Redactor): ((fields: object) => string) | undefined {
  return redactor instanceof Engine && redactor.writesJson ? (fields) => redactor.fieldsJson(fields) : undefined;
}

/** How the logger writes its message as JSON text: `JSON.stringify(redactor.redactString(text))`. Internal. */
export function messageWriter(redactor: Redactor): (text: string) => string {
  return redactor instanceof Engine && redactor.writesJson
    ? (text) => redactor.stringJson(text)
    : (text) => JSON.stringify(redactor.redactString(text));
}

/** `{"a":1,"b":2}` -> `,"a":1,"b":2`: a redacted value's fields, ready to splice into a line. */
export function fragment(redacted: unknown): string {
  return spliced(JSON.stringify(redacted));
}

/**
 * The JSON text of what was logged as fields, as a line fragment: an object's members
 * (`,"a":1`), or anything else (an array, a Set, a Date, a URL: whatever is written as no
 * object) as one `value` field, so a line is always one JSON object.
 */
function spliced(json: string | undefined): string {
  if (json === undefined) return '';
  if (json.charCodeAt(0) === 123) return json.length > 2 ? `,${json.slice(1, -1)}` : '';
  return `,"value":${json}`;
}

/**
 * A redactor that finds secrets four ways in one pass: by key (`password`, `apiKey`, `DB_PASS`,
 * `x-functions-key`..., while `token_type`, `privateKeyPath` and `prompt_tokens` stay), by exact
 * path, by documented provider token shape anywhere in any string (about eighty providers: GitHub,
 * GitLab, Slack, Stripe, OpenAI, Hugging Face, Vault...), and by structure inside text
 * (`password=...`, `"token":"..."`, `--password x`, `curl -u user:pass`, `Bearer ...`,
 * `redis://:pass@host`, `AccountKey=...`, webhook URLs, PEM private keys). Errors become
 * `{ type, message, stack, code, ...props, cause }`, redacted throughout. It never mutates its
 * input, reads each property once, and never throws. `explain(value)` says what it found and why.
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
