/**
 * Environment variables (and `.env` files) as settings: `APP_DB__URL` sets `db.url` (`__` nests,
 * matching ignores case, `_` and `-`, so `APP_DB__MAX_CONNECTIONS` sets `db.maxConnections`), and
 * the string is coerced to what the schema wants there.
 */
import type { ConfigIssue } from '../core/errors.js';
import { toData } from './data.js';
import type { Masking } from './masking.js';
import { formatPath, type Path } from './paths.js';
import {
  arrayElement,
  childSchema,
  isRecord,
  type LeafKind,
  leafKind,
  literalValues,
  objectKeys,
  type SchemaLike,
} from './schema.js';

/** One variable to read: its name, its raw text, and the source to name it by. */
export interface EnvEntry {
  readonly name: string;
  readonly value: string | undefined;
  readonly source: string;
}

/** A setting an env variable gave, coerced. */
export interface EnvSetting {
  readonly path: Path;
  readonly value: unknown;
  readonly source: string;
}

const normalize = (s: string): string => s.toLowerCase().replace(/[_-]/g, '');

/** `maxConnections` -> `MAX_CONNECTIONS`: the env spelling of one key. */
export function envSegment(key: string | number): string {
  return String(key)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** The variable that sets `path`: `APP_` + `DB__URL`. */
export function envName(prefix: string, path: Path): string {
  return prefix + path.map(envSegment).join('__');
}

type Resolved = { path: Path; schema: SchemaLike } | { failedAt: number; schema: SchemaLike };

function resolve(root: SchemaLike, segments: readonly string[]): Resolved {
  let schema = root;
  const path: (string | number)[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const keys = objectKeys(schema);
    let key: string | number | undefined;
    if (keys) key = keys.find((k) => normalize(k) === normalize(segment));
    else if (isRecord(schema)) key = segment.toLowerCase();
    else if (arrayElement(schema) && /^\d+$/.test(segment)) key = Number(segment);
    const child = key === undefined ? undefined : childSchema(schema, key);
    if (key === undefined || child === undefined) return { failedAt: i, schema };
    path.push(key);
    schema = child;
  }
  return { path, schema };
}

/**
 * Edits from `a` to `b`, a swap of two neighbours counting as one (optimal string alignment):
 * `PROT` is one slip from `PORT`, as `PORTT` is.
 */
function distance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (before[j - 2] as number) + 1);
      row.push(d);
    }
    before = previous;
    previous = row;
  }
  return previous[b.length] as number;
}

/** The closest known key to a misspelt one, if any is close. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 4)) + 1;
  for (const candidate of candidates) {
    const d = distance(normalize(word), normalize(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

const TRUE = /^(?:true|1|yes|y|on)$/i;
const FALSE = /^(?:false|0|no|n|off)$/i;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

type Coerced = { ok: true; value: unknown } | { ok: false; expected: string };

/** Coerces one env string to what `kind` wants; never `Boolean("false")`. */
export function coerce(raw: string, schema: SchemaLike): Coerced {
  const kind: LeafKind = leafKind(schema);
  const text = raw.trim();
  switch (kind) {
    case 'boolean':
      if (TRUE.test(text)) return { ok: true, value: true };
      if (FALSE.test(text)) return { ok: true, value: false };
      return { ok: false, expected: 'a boolean (true/false, 1/0, yes/no, on/off)' };
    case 'int':
    case 'number': {
      if (!NUMBER.test(text)) return { ok: false, expected: kind === 'int' ? 'a whole number' : 'a number' };
      const n = Number(text);
      if (kind === 'int' && !Number.isInteger(n)) return { ok: false, expected: 'a whole number' };
      return { ok: true, value: n };
    }
    case 'bigint':
      return /^[+-]?\d+$/.test(text) ? { ok: true, value: BigInt(text) } : { ok: false, expected: 'a whole number' };
    case 'date': {
      const date = new Date(text);
      return Number.isNaN(date.getTime()) ? { ok: false, expected: 'a date' } : { ok: true, value: date };
    }
    case 'object':
      return parseJsonValue(text, 'object', 'a JSON object such as {"a":1}');
    case 'array': {
      if (text.startsWith('[')) return parseJsonValue(text, 'array', 'a JSON array or a comma-separated list');
      const element = arrayElement(schema);
      const items: unknown[] = [];
      for (const part of text.split(',').map((s) => s.trim())) {
        if (part === '') continue;
        const item = element ? coerce(part, element) : { ok: true as const, value: part };
        if (!item.ok)
          return { ok: false, expected: `a comma-separated list of ${item.expected.replace(/^an? /, '')}s` };
        items.push(item.value);
      }
      return { ok: true, value: items };
    }
    case 'literal': {
      const match = literalValues(schema).find((v) => String(v) === text);
      return { ok: true, value: match ?? raw };
    }
    default:
      return { ok: true, value: raw };
  }
}

function parseJsonValue(text: string, want: 'object' | 'array', expected: string): Coerced {
  try {
    const parsed: unknown = JSON.parse(text);
    const isArray = Array.isArray(parsed);
    if (want === 'array' ? isArray : parsed !== null && typeof parsed === 'object' && !isArray) {
      // The same clean copy as a file's value: no __proto__ key, no deep nesting.
      const data = toData(parsed);
      const problem = data.problems[0];
      if (problem === undefined) return { ok: true, value: data.value };
      return { ok: false, expected: `${expected}, but at ${formatPath(problem.path)}: ${problem.message}` };
    }
  } catch {
    // Falls through to the same message as a value of the wrong shape.
  }
  return { ok: false, expected };
}

/**
 * The settings a set of variables gives. With a prefix, a prefixed variable that matches no setting
 * is a problem (a typo found at start-up); without one, unmatched variables are someone else's.
 * Empty strings count as unset.
 */
export function envSettings(
  entries: Iterable<EnvEntry>,
  prefix: string | undefined,
  schema: SchemaLike,
  masking: Masking,
): { settings: EnvSetting[]; issues: ConfigIssue[]; failed: Path[] } {
  const settings: EnvSetting[] = [];
  const issues: ConfigIssue[] = [];
  const failed: Path[] = [];
  for (const { name, value, source } of entries) {
    if (prefix !== undefined && !name.startsWith(prefix)) continue;
    if (value === undefined || value === '') continue;
    const rest = prefix === undefined ? name : name.slice(prefix.length);
    const segments = rest.split('__');
    if (segments.some((s) => s === '')) {
      if (prefix !== undefined) issues.push({ path: '', source, message: `${name} is not a setting name` });
      continue;
    }
    const found = resolve(schema, segments);
    if ('failedAt' in found) {
      if (prefix === undefined) continue;
      const known = objectKeys(found.schema) ?? [];
      const guess = closest(segments[found.failedAt] as string, known);
      const head = resolve(schema, segments.slice(0, found.failedAt));
      const hint =
        guess !== undefined && 'path' in head ? `; did you mean ${envName(prefix, [...head.path, guess])}?` : '';
      const at = 'path' in head ? [...head.path, ...segments.slice(found.failedAt).map((s) => s.toLowerCase())] : [];
      issues.push({ path: formatPath(at), source, message: `${name} matches no setting${hint}` });
      continue;
    }
    if (masking.isSecretKey(rest)) masking.markSecretPath(found.path);
    if (masking.isSecretPath(found.path)) masking.rememberSecret(value);
    const coerced = coerce(value, found.schema);
    if (coerced.ok) {
      settings.push({ path: found.path, value: coerced.value, source });
    } else {
      failed.push(found.path);
      issues.push({
        path: formatPath(found.path),
        source,
        message: `expected ${coerced.expected}; got ${masking.show(value, found.path)}`,
      });
    }
  }
  return { settings, issues, failed };
}
