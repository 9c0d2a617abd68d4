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
  #values: string[] = [];
  #sorted = true;

  constructor(schema: SchemaLike, secretKeys: readonly (string | RegExp)[]) {
    this.#schema = schema;
    this.#redactor = createRedactor({ keys: secretKeys, censor: MASK });
  }

  /** True when a key name is secret by the key rules (used for env variable names too). */
  isSecretKey(key: string): boolean {
    return this.#redactor.secretKeyRule(key) !== null;
  }

  /** True when the setting at `path` is secret. */
  isSecretPath(path: Path): boolean {
    const text = formatPath(path);
    for (const marked of this.#extraSecretPaths) if (isUnder(text, marked)) return true;
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

  /** Remembers every secret value found under `path` in `value`. */
  rememberSecretsIn(value: unknown, path: Path): void {
    // One path, pushed and popped as the walk goes (isSecretPath keeps no reference to it).
    const at = [...path];
    const walk = (node: unknown): void => {
      if (isPlainObject(node)) {
        for (const key of Object.keys(node)) {
          at.push(key);
          walk(node[key]);
          at.pop();
        }
      } else if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) {
          at.push(i);
          walk(node[i]);
          at.pop();
        }
      } else if (this.isSecretPath(at)) {
        this.rememberSecret(node);
      }
    };
    walk(value);
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
