/**
 * The config a loader returns: plain objects and arrays deeply frozen, and each of them printing
 * with secrets masked, whether through `JSON.stringify`, `console.log` or `util.inspect`.
 */
import type { Masking } from './masking.js';
import { isPlainObject, type Path } from './paths.js';

/** A value whose plain objects and arrays, at every depth, cannot be changed. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends Date | RegExp | Map<unknown, unknown> | Set<unknown>
    ? T
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

type Inspect = (value: unknown, options: unknown) => string;

/** Freezes `value` in place and gives each object a masked `toJSON` and inspect; returns it. */
export function freezeConfig<T>(value: T, masking: Masking, path: Path = []): T {
  if (!isPlainObject(value) && !Array.isArray(value)) return value;
  if (Object.isFrozen(value)) return value;
  const node = value as Record<string | number, unknown>;
  const keys = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  for (const key of keys) freezeConfig(node[key], masking, [...path, key]);
  const masked = (): unknown => masking.mask(value, path);
  Object.defineProperty(value, 'toJSON', { value: masked, enumerable: false });
  Object.defineProperty(value, INSPECT, {
    value: (_depth: number, options: unknown, inspect?: Inspect) =>
      inspect ? inspect(masked(), options) : JSON.stringify(masked()),
    enumerable: false,
  });
  return Object.freeze(value);
}
