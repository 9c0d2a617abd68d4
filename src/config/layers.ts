/**
 * Merging sources in precedence order while remembering which source set each setting. Plain
 * objects merge key by key; anything else (a string, a number, an array, null) replaces what a
 * lower source had at that path, subtree included.
 *
 * The merged value is made of null-prototype objects and is read by own keys only, and the sources
 * are kept in a tree shaped like the value, so replacing a subtree forgets its sources in one step:
 * loading stays linear in the number of settings.
 */
import { isPlainObject, type Path } from './paths.js';

type Segment = string | number;

/** The sources under one path: its own, and its children's. */
interface SourceNode {
  source: string | undefined;
  children: Map<Segment, SourceNode> | undefined;
}

type Container = Record<Segment, unknown>;

function own(container: unknown, key: Segment): unknown {
  return typeof container === 'object' && container !== null && Object.hasOwn(container, key)
    ? (container as Container)[key]
    : undefined;
}

export class Layers {
  /** The merged input, before the schema parses it. */
  readonly value: Record<string, unknown> = Object.create(null);
  readonly #sources: SourceNode = { source: undefined, children: undefined };

  /** Sets one setting, replacing whatever a lower source had there. */
  set(path: Path, value: unknown, source: string | undefined): void {
    if (path.length === 0) return;
    let target = this.value as Container;
    let node = this.#sources;
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i] as Segment;
      node = child(node, key);
      let next = own(target, key);
      if (!isPlainObject(next) && !Array.isArray(next)) {
        next = typeof path[i + 1] === 'number' ? [] : Object.create(null);
        target[key] = next;
        // What was here (a value and its source) is gone.
        node.source = undefined;
        node.children = undefined;
      }
      target = next as Container;
    }
    const last = path[path.length - 1] as Segment;
    target[last] = value;
    node = child(node, last);
    node.source = source;
    node.children = undefined;
  }

  /**
   * Merges a whole parsed object; `sourceOf(path)` names the source of each setting in it (it is
   * handed one path array that changes as the walk goes, and must not keep it). The walk holds the
   * merged container and the sources node it is in, so a setting costs one step, not a walk from
   * the root.
   */
  merge(value: Record<string, unknown>, sourceOf: (path: Path) => string): void {
    const path: string[] = [];
    const walk = (object: Record<string, unknown>, target: Container, node: SourceNode): void => {
      for (const key of Object.keys(object)) {
        const inner = object[key];
        if (inner === undefined) continue;
        path.push(key);
        const below = child(node, key);
        if (isPlainObject(inner)) {
          let next = own(target, key);
          if (!isPlainObject(next)) {
            // A new object has no source of its own: its settings each have theirs. What was
            // here (a value and its source) is gone.
            next = Object.create(null);
            target[key] = next;
            below.source = undefined;
            below.children = undefined;
          }
          walk(inner, next as Container, below);
        } else {
          target[key] = inner;
          below.source = sourceOf(path);
          below.children = undefined;
        }
        path.pop();
      }
    };
    walk(value, this.value as Container, this.#sources);
  }

  /** The source of the setting at `path`, or of the nearest setting above it. */
  sourceOf(path: Path): string | undefined {
    let found: string | undefined;
    let node: SourceNode | undefined = this.#sources;
    for (const segment of path) {
      node = node.children?.get(segment);
      if (node === undefined) break;
      if (node.source !== undefined) found = node.source;
    }
    return found;
  }

  /** The merged input value at `path`, or undefined. */
  valueAt(path: Path): unknown {
    return this.#at(path);
  }

  #at(path: Path): unknown {
    let current: unknown = this.value;
    for (const segment of path) {
      current = own(current, segment);
      if (current === undefined) return undefined;
    }
    return current;
  }
}

function child(node: SourceNode, key: Segment): SourceNode {
  node.children ??= new Map();
  let next = node.children.get(key);
  if (next === undefined) {
    next = { source: undefined, children: undefined };
    node.children.set(key, next);
  }
  return next;
}
