/** Setting paths: `['db', 'url']` is shown as `db.url`, `['servers', 0, 'host']` as `servers[0].host`. */

/** A path into the configuration, one segment per level. */
export type Path = readonly (string | number)[];

/** `db.url`, `servers[0].host`; the empty path is `''`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out.length === 0 ? segment : `.${segment}`;
  }
  return out;
}

/** True when `inner` is `outer` or lies under it (`db.pool.max` under `db`). */
export function isUnder(inner: string, outer: string): boolean {
  if (outer === '') return true;
  if (!inner.startsWith(outer)) return false;
  const next = inner.charAt(outer.length);
  return next === '' || next === '.' || next === '[';
}

/** A plain object: made by `{}`, `Object.create(null)` or a parser, not a class instance or an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
