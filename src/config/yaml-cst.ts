/**
 * The common shape of a config file read straight from the YAML parser's tokens (its CST), without
 * building a `Document`: block mappings and lists of plain or quoted one-line scalars, empty `{}`
 * and `[]`, comments and a leading `---`. That is most of a big config, and the composer that turns
 * tokens into a `Document` was about a fifth of loading one (plus the garbage its nodes make).
 *
 * Anything else (anchors, aliases, tags, other flow collections, block scalars `|` `>`, multi-line
 * scalars, explicit keys `?`, directives, `...`, tabs, several documents, any error, a duplicate or
 * `__proto__` key, a key that is not a name, nesting past the limit) gives `undefined`, and the
 * caller composes the same tokens as before: this never reports a problem, and never accepts a
 * text the composer would refuse. The checks it makes are the composer's for the tokens it accepts
 * (indentation of keys, comments separated by white space, keys on one line and at most 1024
 * characters, a nested mapping not on its key's line).
 */
import { CST, Document, isScalar } from 'yaml';
import { PROTO_KEY } from './data.js';
import { MAX_DEPTH } from './limits.js';
import type { Offsets } from './yaml-data.js';

type Token = CST.Token;
type SourceToken = CST.SourceToken;

/** Thrown (once) to leave the walk when the text is outside the shape this reads. */
const OUTSIDE = Symbol('outside the fast shape');

/** The core schema's scalar tags and the options their `resolve` reads, as `parseDocument` uses them. */
let core: { tags: Document['schema']['tags']; options: Document['options'] } | undefined;

function coreSchema(): NonNullable<typeof core> {
  if (core === undefined) {
    const probe = new Document();
    core = { tags: probe.schema.tags, options: probe.options };
  }
  return core;
}

function outside(): never {
  throw OUTSIDE;
}

/** Space, newlines and comments only; a comment must follow white space; no tab anywhere. */
function trivia(tokens: readonly SourceToken[] | undefined, hasSpace: boolean): void {
  if (tokens === undefined) return;
  for (const token of tokens) {
    if (token.type === 'space') {
      if (token.source.includes('\t')) outside();
      hasSpace = true;
    } else if (token.type === 'newline') {
      hasSpace = true;
    } else if (token.type === 'comment') {
      if (!hasSpace) outside();
    } else {
      outside();
    }
  }
}

/**
 * The tokens before a value (`: ` of a mapping, `- ` of a list): exactly one indicator, with
 * space, newlines and comments around it. Returns whether a newline follows the indicator.
 */
function indicator(tokens: readonly SourceToken[] | undefined, type: string, hasSpace: boolean): boolean {
  let found = false;
  let newline = false;
  for (const token of tokens ?? []) {
    if (token.type === type) {
      if (found) outside();
      found = true;
      hasSpace = false;
    } else if (token.type === 'space') {
      if (token.source.includes('\t')) outside();
      hasSpace = true;
    } else if (token.type === 'newline') {
      // A newline before `:` would make a key of two lines.
      if (!found && type === 'map-value-ind') outside();
      hasSpace = true;
      if (found) newline = true;
    } else if (token.type === 'comment') {
      if (!hasSpace) outside();
    } else {
      outside();
    }
  }
  if (!found) outside();
  return newline;
}

/** A one-line plain or quoted scalar's value, resolved by the core schema as the composer does. */
function scalar(token: Token, atKey: boolean): unknown {
  if (token.type !== 'scalar' && token.type !== 'single-quoted-scalar' && token.type !== 'double-quoted-scalar')
    outside();
  if (token.source.includes('\n') || token.source.includes('\r')) outside();
  let failed = false;
  const resolved = CST.resolveAsScalar(token, true, () => {
    failed = true;
  });
  if (failed) outside();
  const text = resolved.value;
  if (token.type !== 'scalar') return text;
  const { tags, options } = coreSchema();
  const tag = tags.find((t) => (t.default === true || (atKey && t.default === 'key')) && t.test?.test(text));
  if (tag === undefined || tag.collection !== undefined || tag.resolve === undefined) return text;
  let failedTag = false;
  const value = (tag.resolve as (v: string, onError: () => void, o: unknown) => unknown)(
    text,
    () => {
      failedTag = true;
    },
    options,
  );
  if (failedTag) outside();
  return isScalar(value) ? value.value : value;
}

/**
 * Reads `tokens` (everything the parser gave for the text) into a value and the offsets of its
 * keys and list items, or gives `undefined` when the text is outside this shape.
 */
export function fromCst(
  tokens: readonly Token[],
): { value: Record<string, unknown>; offsets: Map<object, Offsets> } | undefined {
  const offsets = new Map<object, Offsets>();

  const value = (token: Token | undefined, newline: boolean, depth: number): unknown => {
    if (token === undefined) return null;
    if (token.type === 'block-map') {
      // `a: b: c` is refused by the composer: a nested mapping starts on a line of its own.
      if (!newline) outside();
      return map(token, depth);
    }
    if (token.type === 'block-seq') {
      if (!newline) outside();
      return seq(token, depth);
    }
    if (token.type === 'flow-collection') return empty(token, depth);
    return scalar(token, false);
  };

  /** `{}` or `[]`, written as such (what `stringify` writes for an empty mapping or list). */
  const empty = (token: CST.FlowCollection, depth: number): unknown => {
    if (depth >= MAX_DEPTH || token.items.length > 0) outside();
    const [close, ...after] = token.end;
    const pair = token.start.source === '{' ? '}' : token.start.source === '[' ? ']' : undefined;
    if (close === undefined || close.source !== pair || close.offset !== token.start.offset + 1) outside();
    trivia(after, false);
    const out = pair === '}' ? Object.create(null) : [];
    offsets.set(out, pair === '}' ? new Map() : []);
    return out;
  };

  const map = (token: CST.BlockMap, depth: number): Record<string, unknown> => {
    if (depth >= MAX_DEPTH) outside();
    const object: Record<string, unknown> = Object.create(null);
    const keys = new Map<string, number>();
    offsets.set(object, keys);
    const items = token.items;
    for (let i = 0; i < items.length; i++) {
      const { start, key, sep, value: item } = items[i] as CST.BlockMap['items'][number];
      trivia(start, true);
      // Comments after the last setting of a mapping are an item of their own.
      if (!key && !sep && item === undefined && i === items.length - 1) break;
      if (!key || !sep) outside();
      if (!('indent' in key) || key.indent !== token.indent) outside();
      if ('end' in key && key.end !== undefined && key.end.length > 0) outside();
      const newline = indicator(sep, 'map-value-ind', false);
      const colon = sep.find((t) => t.type === 'map-value-ind') as SourceToken;
      if (colon.offset - key.offset > 1024) outside();
      const raw = scalar(key, true);
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') outside();
      const name = String(raw);
      if (name === PROTO_KEY || keys.has(name)) outside();
      keys.set(name, key.offset);
      object[name] = value(item, newline, depth + 1);
    }
    return object;
  };

  const seq = (token: CST.BlockSequence, depth: number): unknown[] => {
    if (depth >= MAX_DEPTH) outside();
    const list: unknown[] = [];
    const at: (number | undefined)[] = [];
    offsets.set(list, at);
    const items = token.items;
    for (let i = 0; i < items.length; i++) {
      const { start, value: item } = items[i] as CST.BlockSequence['items'][number];
      if (item === undefined && i === items.length - 1 && !start.some((t) => t.type === 'seq-item-ind')) {
        trivia(start, true);
        break;
      }
      const newline = indicator(start, 'seq-item-ind', true);
      at.push(item?.offset);
      // `- a: 1` is a mapping in a list item, on the item's line; `- - a` is left to the composer.
      list.push(item?.type === 'block-map' ? map(item, depth + 1) : value(item, newline, depth + 1));
    }
    return list;
  };

  try {
    let document: CST.Document | undefined;
    for (const token of tokens) {
      if (token.type === 'document') {
        if (document !== undefined) outside();
        document = token;
      } else if (token.type === 'space') {
        if (token.source.includes('\t')) outside();
      } else if (token.type !== 'comment' && token.type !== 'newline') {
        outside();
      }
    }
    if (document === undefined || document.value?.type !== 'block-map') return undefined;
    // `---` before the settings, on a line of its own.
    if (document.start.some((t) => t.type === 'doc-start')) {
      if (!indicator(document.start, 'doc-start', true)) outside();
    } else {
      trivia(document.start, true);
    }
    trivia(document.end, true);
    return { value: map(document.value, 0), offsets };
  } catch (error) {
    if (error === OUTSIDE) return undefined;
    throw error;
  }
}
