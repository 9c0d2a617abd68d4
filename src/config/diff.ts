/** What changed between two configs, setting by setting, with secret values masked. */
import type { Masking } from './masking.js';
import { formatPath, isPlainObject, type Path } from './paths.js';

/** One setting that changed in a reload. `previous`/`current` are `'[REDACTED]'` for secrets. */
export interface ConfigChange {
  /** Dotted path of the setting, e.g. `db.pool.max`. */
  readonly path: string;
  /** Its value before (undefined when it was added). */
  readonly previous: unknown;
  /** Its value now (undefined when it was removed). */
  readonly current: unknown;
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return false;
}

/** Every setting that differs, objects compared key by key, anything else (arrays too) as a whole. */
export function diffConfig(previous: unknown, current: unknown, masking: Masking): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const walk = (a: unknown, b: unknown, path: (string | number)[]): void => {
    if (isPlainObject(a) && isPlainObject(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const key of keys) walk(a[key], b[key], [...path, key]);
      return;
    }
    if (same(a, b)) return;
    changes.push({ path: formatPath(path), previous: shown(a, path, masking), current: shown(b, path, masking) });
  };
  walk(previous, current, []);
  return changes;
}

function shown(value: unknown, path: Path, masking: Masking): unknown {
  return value === undefined ? undefined : masking.mask(value, path);
}
