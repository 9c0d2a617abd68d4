/**
 * A parsed YAML document turned into clean data in one walk: the same value `toData` makes (null-
 * prototype objects, no `__proto__` key, no cycle, at most {@link MAX_DEPTH} levels), the offset
 * of every key and list item for `lineOf`, duplicate keys, and aliases expanded under a budget.
 *
 * One walk instead of `toJS` + `toData` + a walk for lines: a 5 MB file was three passes over
 * 77,000 nodes, each allocating its own copy or its own path strings. Lines are computed only when
 * asked for, from the offset, by the parser's `LineCounter` (a binary search over line starts).
 */
import { type Alias, isAlias, isMap, isPair, isScalar, isSeq, type LineCounter, type Pair } from 'yaml';
import { CYCLE_MESSAGE, type DataProblem, DEPTH_MESSAGE, KEY_MESSAGE, PROTO_KEY, PROTO_MESSAGE } from './data.js';
import { MAX_ALIAS_VALUES, MAX_DEPTH } from './limits.js';
import type { Path } from './paths.js';

/** What {@link toYamlData} gives: `problems` make the file invalid YAML, `refused` name a path. */
export interface YamlData {
  readonly value: unknown;
  readonly lineOf: (path: Path) => number | undefined;
  readonly problems: { line?: number; message: string }[];
  readonly refused: DataProblem[];
}

type Segment = string | number;

/** The offsets in the text of a mapping's keys, or of a list's items. */
export type Offsets = Map<string, number> | (number | undefined)[];

function offsetOf(node: unknown): number | undefined {
  return (node as { range?: readonly number[] | null } | null)?.range?.[0];
}

/**
 * Walks `root` (a `Document`'s `contents`) once. Anchors are taken in document order, as the YAML
 * spec and the parser's own `toJS` do: an alias names the last node anchored so before it.
 */
export function toYamlData(root: unknown, counter: LineCounter): YamlData {
  const problems: { line?: number; message: string }[] = [];
  const refused: DataProblem[] = [];
  const offsets = new Map<object, Offsets>();
  const anchors = new Map<string, unknown>();
  // The nodes being built, from the root down: an alias to one of them is a cycle.
  const open = new Set<unknown>();
  const path: Segment[] = [];
  let expanding = 0; // > 0 while building what an alias points to
  let aliasValues = 0;
  let stopped = false;
  let tooDeep = false;

  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : counter.linePos(offset).line;

  const anchor = (node: unknown): void => {
    const name = (node as { anchor?: string }).anchor;
    if (name !== undefined && expanding === 0) anchors.set(name, node);
  };

  const resolve = (alias: Alias): unknown => {
    const target = anchors.get(alias.source);
    if (target === undefined) {
      const line = lineAt(offsetOf(alias));
      const message = `Unresolved alias (the anchor must be set before the alias): ${alias.source}`;
      problems.push(line === undefined ? { message } : { line, message });
    }
    return target;
  };

  const keyOf = (node: unknown): string | undefined => {
    let key = node;
    if (isAlias(key)) key = resolve(key);
    else if (key !== null && typeof key === 'object') anchor(key);
    if (!isScalar(key)) return undefined;
    const raw = key.value;
    if (typeof raw === 'string') return raw;
    if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return String(raw);
    return undefined;
  };

  const buildPairs = (pairs: readonly Pair[]): Record<string, unknown> => {
    const object: Record<string, unknown> = Object.create(null);
    const keys = new Map<string, number>();
    // What an alias copies keeps no offsets: its settings are placed at the alias, as before.
    if (expanding === 0) offsets.set(object, keys);
    for (const pair of pairs) {
      const key = keyOf(pair.key);
      if (key === undefined) {
        if (!stopped) refused.push({ path: [...path], message: KEY_MESSAGE });
        continue;
      }
      const offset = offsetOf(pair.key) ?? offsetOf(pair.value);
      if (keys.has(key) && expanding === 0) {
        problems.push({ line: lineAt(offset) ?? 0, message: `Map keys must be unique; "${key}" is repeated` });
      }
      if (offset !== undefined) keys.set(key, offset);
      path.push(key);
      if (key === PROTO_KEY) refused.push({ path: [...path], message: PROTO_MESSAGE });
      else object[key] = build(pair.value);
      path.pop();
    }
    return object;
  };

  const build = (node: unknown): unknown => {
    if (stopped) return undefined;
    if (expanding > 0 && ++aliasValues > MAX_ALIAS_VALUES) {
      stopped = true;
      problems.push({ message: `aliases expand to more than ${MAX_ALIAS_VALUES} values (a "billion laughs"?)` });
      return undefined;
    }
    if (isScalar(node)) {
      anchor(node);
      return node.value;
    }
    if (isAlias(node)) {
      const target = resolve(node);
      if (target === undefined) return undefined;
      if (open.has(target)) {
        refused.push({ path: [...path], message: CYCLE_MESSAGE });
        return undefined;
      }
      expanding++;
      const value = build(target);
      expanding--;
      return value;
    }
    if (node === null || node === undefined) return null;
    if (!isMap(node) && !isSeq(node) && !isPair(node)) return undefined;
    if (path.length >= MAX_DEPTH) {
      if (!tooDeep) refused.push({ path: [...path], message: DEPTH_MESSAGE });
      tooDeep = true;
      return undefined;
    }
    anchor(node);
    open.add(node);
    let out: unknown;
    if (isPair(node)) {
      // `[a: 1]`: a pair inside a flow list is a mapping of one key.
      out = buildPairs([node]);
    } else if (isMap(node)) {
      out = buildPairs(node.items);
    } else {
      const items = node.items;
      const list: unknown[] = new Array(items.length);
      const at: (number | undefined)[] = new Array(items.length);
      if (expanding === 0) offsets.set(list, at);
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        at[i] = offsetOf(item);
        path.push(i);
        list[i] = build(item);
        path.pop();
      }
      out = list;
    }
    open.delete(node);
    return out;
  };

  const value = build(root);

  return { value, lineOf: lineLookup(value, offsets, counter), problems, refused };
}

/**
 * `lineOf(path)` for a value whose containers have their keys' offsets in `offsets`: the line of
 * the deepest key or list item on `path` that has one, computed only when asked.
 */
export function lineLookup(
  value: unknown,
  offsets: ReadonlyMap<object, Offsets>,
  counter: LineCounter,
): (path: Path) => number | undefined {
  return (at) => {
    let node: unknown = value;
    let found: number | undefined;
    for (const segment of at) {
      const here = typeof node === 'object' && node !== null ? offsets.get(node) : undefined;
      if (here === undefined) break;
      const offset = Array.isArray(here)
        ? typeof segment === 'number'
          ? here[segment]
          : undefined
        : here.get(String(segment));
      if (offset === undefined) break;
      found = offset;
      // `node` is one of ours (a null-prototype object or an array): an own read.
      node = (node as Record<Segment, unknown>)[segment];
    }
    return found === undefined ? undefined : counter.linePos(found).line;
  };
}
