/**
 * The one place that decides what in a configuration is secret, and hides it. A setting is secret
 * when a key on its path is secret by the logger's key rules (`password`, `apiKey`, `dsn`...), when
 * its schema is marked (`secret(...)` or `.meta({ secret: true })`), or when a secret environment
 * variable was expanded into it. Secret values are also scrubbed from any text that is shown.
 */
import { createRedactor, type Redactor } from '../logger/redact/redactor.js';
import { formatPath, isPlainObject, isUnder, type Path } from './paths.js';
import { childSchema, type SchemaLike, unwrap } from './schema.js';

/** What a masked value is shown as. */
export const MASK = '[REDACTED]';

/** Values shorter than this are not scrubbed from free text (they would garble it); they are masked by path. */
const MIN_SCRUB_LENGTH = 4;

export class Masking {
  readonly #schema: SchemaLike;
  readonly #redactor: Redactor;
  readonly #extraSecretPaths = new Set<string>();
  readonly #secretKeys = new Map<string, boolean>();
  #values: string[] = [];
  #sorted = true;

  constructor(schema: SchemaLike, secretKeys: readonly (string | RegExp)[]) {
    this.#schema = schema;
    this.#redactor = createRedactor({ keys: secretKeys, censor: MASK });
  }

  /** True when a key name is secret by the key rules (used for env variable names too). */
  isSecretKey(key: string): boolean {
    // A config repeats its key names (`host`, `port` in every group): each is decided once.
    let secret = this.#secretKeys.get(key);
    if (secret === undefined) {
      secret = this.#redactor.secretKeyRule(key) !== null;
      this.#secretKeys.set(key, secret);
    }
    return secret;
  }

  /** True when the setting at `path` is secret. */
  isSecretPath(path: Path): boolean {
    if (this.#markedAt(path)) return true;
    let schema: SchemaLike | undefined = this.#schema;
    if (unwrap(schema).secret) return true;
    for (const segment of path) {
      if (typeof segment === 'string' && this.isSecretKey(segment)) return true;
      schema = schema === undefined ? undefined : childSchema(schema, segment);
      if (schema !== undefined && unwrap(schema).secret) return true;
    }
    return false;
  }

  /** Marks a path secret whatever its name (a secret variable was expanded into it). */
  markSecretPath(path: Path): void {
    this.#extraSecretPaths.add(formatPath(path));
  }

  /** Remembers a secret value so it is scrubbed from any text shown later. */
  rememberSecret(value: unknown): void {
    if (typeof value === 'number' || typeof value === 'bigint') value = String(value);
    if (typeof value !== 'string' || value.length < MIN_SCRUB_LENGTH) return;
    if (this.#values.includes(value)) return;
    this.#values.push(value);
    this.#sorted = false;
  }

  /**
   * Remembers every secret value found under `path` in `value`. The walk carries the schema and
   * whether the path so far is secret down with it (what {@link isSecretPath} decides from the
   * root for one path), so each key is looked at once, not once per setting under it.
   */
  rememberSecretsIn(value: unknown, path: Path): void {
    let schema: SchemaLike | undefined = this.#schema;
    let secret = unwrap(schema).secret;
    for (const segment of path) [schema, secret] = this.#step(schema, secret, segment);
    // One path, pushed and popped as the walk goes; only read for paths marked by expansion.
    const at: (string | number)[] = [...path];
    const walk = (node: unknown, nodeSchema: SchemaLike | undefined, nodeSecret: boolean): void => {
      const keys = isPlainObject(node) ? Object.keys(node) : Array.isArray(node) ? node.keys() : undefined;
      if (keys === undefined) {
        if (nodeSecret || this.#markedAt(at)) this.rememberSecret(node);
        return;
      }
      for (const key of keys) {
        const [childSchema, childSecret] = this.#step(nodeSchema, nodeSecret, key);
        at.push(key);
        walk((node as Record<string | number, unknown>)[key], childSchema, childSecret);
        at.pop();
      }
    };
    walk(value, schema, secret);
  }

  /** One segment down: the child's schema, and whether the path is secret from there on. */
  #step(schema: SchemaLike | undefined, secret: boolean, segment: string | number): [SchemaLike | undefined, boolean] {
    const child = schema === undefined ? undefined : childSchema(schema, segment);
    if (secret) return [child, true];
    if (typeof segment === 'string' && this.isSecretKey(segment)) return [child, true];
    return [child, child !== undefined && unwrap(child).secret];
  }

  /** True when `path` is under a path marked secret because a secret variable was expanded into it. */
  #markedAt(path: Path): boolean {
    if (this.#extraSecretPaths.size === 0) return false;
    const text = formatPath(path);
    for (const marked of this.#extraSecretPaths) if (isUnder(text, marked)) return true;
    return false;
  }

  /** `text` with every remembered secret value, and every secret shape, replaced by the mask. */
  scrub(text: string): string {
    if (!this.#sorted) {
      // Longest first, so a secret that contains another is replaced whole.
      this.#values.sort((a, b) => b.length - a.length);
      this.#sorted = true;
    }
    let out = text;
    for (const value of this.#values) if (out.includes(value)) out = out.split(value).join(MASK);
    return this.#redactor.redactString(out);
  }

  /** A JSON-safe copy of `value` (found at `path`) with secrets masked; never mutates. */
  mask(value: unknown, path: Path = []): unknown {
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) out[key] = this.mask(inner, [...path, key]);
      return out;
    }
    if (Array.isArray(value)) return value.map((inner, index) => this.mask(inner, [...path, index]));
    if (value === null || value === undefined || typeof value === 'boolean') return value;
    if (this.isSecretPath(path)) return MASK;
    if (typeof value === 'string') return this.scrub(value);
    if (typeof value === 'bigint') return String(value);
    if (value instanceof Date) return value.toISOString();
    return this.#redactor.redact(value);
  }

  /** How a value is shown in a message: quoted, or `a secret value` when the path is secret. */
  show(value: unknown, path: Path): string {
    if (this.isSecretPath(path)) return 'a secret value';
    return JSON.stringify(this.mask(value, path)) ?? String(value);
  }
}
