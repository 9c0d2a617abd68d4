/**
 * Every source's value (a parsed file, a JSON env value, the caller's overrides) passes through
 * {@link toData} before it is merged: a copy made of null-prototype objects and arrays, read by
 * own keys only, with no `__proto__` key, no cycle and no more than {@link MAX_DEPTH} levels.
 * Nothing after this point can reach or read a prototype, and no walk can exhaust the stack.
 */
import { MAX_DEPTH } from './limits.js';
import { isPlainObject, type Path } from './paths.js';

/** Why part of a value was refused, and where. */
export interface DataProblem {
  readonly path: Path;
  readonly message: string;
}

/** A clean copy of a value, or the problems that kept it from being one. */
export interface Data {
  readonly value: unknown;
  readonly problems: DataProblem[];
}

/** The key that reaches an object's prototype when assigned; refused wherever it appears. */
export const PROTO_KEY = '__proto__';

/** What a value nested too deep is told. */
export const DEPTH_MESSAGE = `nested more than ${MAX_DEPTH} levels deep; flatten it`;

/** What a `__proto__` key is told. */
export const PROTO_MESSAGE = `"${PROTO_KEY}" is not allowed as a setting name: it would reach the prototype of every object`;

/** What a value that contains itself is told. */
export const CYCLE_MESSAGE = 'contains itself (a cycle)';

/** What a key that is not a string or a number (a list, a mapping, null) is told. */
export const KEY_MESSAGE = 'a key must be a string or a number';

function mapKey(key: unknown): string | undefined {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint') return String(key);
  return undefined;
}

/**
 * Copies `value` into null-prototype objects. YAML mappings arrive as `Map`s (so a `__proto__`
 * key is seen as a key, not applied by the parser); plain objects are read by their own
 * enumerable keys. Any other value (a string, a Date...) is kept as it is. May throw if `value`
 * is hostile (a Proxy whose traps throw); callers report that as a problem of the source.
 */
export function toData(value: unknown): Data {
  const problems: DataProblem[] = [];
  const path: (string | number)[] = [];
  const ancestors = new Set<object>();
  const problem = (message: string): void => {
    problems.push({ path: [...path], message });
  };
  const copy = (node: unknown): unknown => {
    const isMap = node instanceof Map;
    const isArray = Array.isArray(node);
    if (!isMap && !isArray && !isPlainObject(node)) return node;
    const container = node as object;
    if (path.length >= MAX_DEPTH) {
      problem(DEPTH_MESSAGE);
      return undefined;
    }
    if (ancestors.has(container)) {
      problem(CYCLE_MESSAGE);
      return undefined;
    }
    ancestors.add(container);
    let out: unknown;
    if (isArray) {
      const items = node as unknown[];
      const list: unknown[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) {
        path.push(i);
        list[i] = copy(items[i]);
        path.pop();
      }
      out = list;
    } else {
      const object: Record<string, unknown> = Object.create(null);
      const entries: Iterable<[unknown, unknown]> = isMap
        ? (node as Map<unknown, unknown>)
        : Object.keys(container).map((k) => [k, (container as Record<string, unknown>)[k]]);
      for (const [rawKey, inner] of entries) {
        const key = mapKey(rawKey);
        if (key === undefined) {
          problem(KEY_MESSAGE);
          continue;
        }
        path.push(key);
        if (key === PROTO_KEY) problem(PROTO_MESSAGE);
        else object[key] = copy(inner);
        path.pop();
      }
      out = object;
    }
    ancestors.delete(container);
    return out;
  };
  const out = copy(value);
  return { value: problems.length === 0 ? out : undefined, problems };
}
