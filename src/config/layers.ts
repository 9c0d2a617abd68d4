/**
 * Merging sources in precedence order while remembering which source set each setting. Plain
 * objects merge key by key; anything else (a string, a number, an array, null) replaces what a
 * lower source had at that path, subtree included.
 */
import { formatPath, isPlainObject, isUnder, type Path } from './paths.js';

export class Layers {
  /** The merged input, before the schema parses it. */
  readonly value: Record<string, unknown> = {};
  /** The source of each setting a source set, by path (`db.url` -> `env APP_DB__URL`). */
  readonly sources = new Map<string, string>();

  /** Sets one setting, replacing whatever a lower source had there. */
  set(path: Path, value: unknown, source: string | undefined): void {
    if (path.length === 0) return;
    let target: Record<string, unknown> | unknown[] = this.value;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i] as string | number;
      let next = (target as Record<string | number, unknown>)[key];
      if (!isPlainObject(next) && !Array.isArray(next)) {
        next = typeof path[i + 1] === 'number' ? [] : {};
        (target as Record<string | number, unknown>)[key] = next;
        this.#forget(formatPath(path.slice(0, i + 1)));
      }
      target = next as Record<string, unknown> | unknown[];
    }
    const text = formatPath(path);
    (target as Record<string | number, unknown>)[path[path.length - 1] as string | number] = value;
    this.#forget(text);
    if (source !== undefined) this.sources.set(text, source);
  }

  /** Merges a whole parsed object; `sourceOf(path)` names the source of each setting in it. */
  merge(value: Record<string, unknown>, sourceOf: (path: Path) => string, base: Path = []): void {
    for (const [key, inner] of Object.entries(value)) {
      const path = [...base, key];
      if (isPlainObject(inner)) {
        const existing = this.#at(path);
        // A new object has no source of its own: its settings each have theirs.
        if (!isPlainObject(existing)) this.set(path, {}, undefined);
        this.merge(inner, sourceOf, path);
      } else if (inner !== undefined) {
        this.set(path, inner, sourceOf(path));
      }
    }
  }

  /** The source of the setting at `path`, or of the nearest setting above it. */
  sourceOf(path: Path): string | undefined {
    for (let n = path.length; n > 0; n--) {
      const source = this.sources.get(formatPath(path.slice(0, n)));
      if (source !== undefined) return source;
    }
    return undefined;
  }

  /** The merged input value at `path`, or undefined. */
  valueAt(path: Path): unknown {
    return this.#at(path);
  }

  #at(path: Path): unknown {
    let current: unknown = this.value;
    for (const segment of path) {
      if (current === null || typeof current !== 'object') return undefined;
      current = (current as Record<string | number, unknown>)[segment];
    }
    return current;
  }

  #forget(prefix: string): void {
    for (const key of this.sources.keys()) if (isUnder(key, prefix)) this.sources.delete(key);
  }
}
