/**
 * Reading a zod 4 schema's shape without running it: which keys an object has, what a leaf wants
 * (so env strings can be coerced), and whether it is marked secret. Reads `_zod.def`, which every
 * zod 4 copy shares, so schemas built with the application's own zod work.
 */
import { globalRegistry } from 'zod/v4/core';

/** The part of a zod 4 schema this module reads. */
export interface SchemaLike {
  readonly _zod: { readonly def: SchemaDef };
  safeParse(input: unknown): { success: true; data: unknown } | { success: false; error: { issues: ZodIssueLike[] } };
}

/** The part of a zod issue this module reads. */
export interface ZodIssueLike {
  readonly code?: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly input?: unknown;
  readonly keys?: readonly string[];
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, SchemaLike>;
  readonly innerType?: SchemaLike;
  readonly in?: SchemaLike;
  readonly out?: SchemaLike;
  readonly element?: SchemaLike;
  readonly valueType?: SchemaLike;
  readonly options?: readonly SchemaLike[];
  readonly values?: readonly unknown[];
  readonly entries?: Record<string, unknown>;
  readonly getter?: () => SchemaLike;
  readonly format?: string;
  readonly checks?: readonly { readonly _zod: { readonly def: { readonly format?: string } } }[];
}

/** What a leaf setting wants, for coercing the strings env and `.env` files give. */
export type LeafKind =
  | 'string'
  | 'number'
  | 'int'
  | 'bigint'
  | 'boolean'
  | 'date'
  | 'array'
  | 'object'
  | 'literal'
  | 'unknown';

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

/** True for a zod 4 schema (anything with `_zod.def` and `safeParse`). */
export function isSchema(value: unknown): value is SchemaLike {
  if (typeof value !== 'object' || value === null) return false;
  const zod = (value as { _zod?: { def?: { type?: unknown } } })._zod;
  return typeof zod?.def?.type === 'string' && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

function markedSecret(schema: SchemaLike): boolean {
  const meta = globalRegistry.get(schema as never) as { secret?: unknown } | undefined;
  return meta?.secret === true;
}

/**
 * The schema under its wrappers (optional, default, pipe input...), and whether any layer on the
 * way was marked secret.
 */
export function unwrap(schema: SchemaLike): { schema: SchemaLike; secret: boolean } {
  let current = schema;
  let secret = markedSecret(current);
  for (let depth = 0; depth < 32; depth++) {
    const def = current._zod.def;
    let next: SchemaLike | undefined;
    if (WRAPPERS.has(def.type)) next = def.innerType;
    else if (def.type === 'pipe') next = def.in?._zod.def.type === 'transform' ? def.out : def.in;
    else if (def.type === 'lazy') next = def.getter?.();
    if (next === undefined || !isSchema(next)) break;
    current = next;
    secret ||= markedSecret(current);
  }
  return { schema: current, secret };
}

/** The schema one level down, for an object key, a record key or an array index; undefined if none. */
export function childSchema(schema: SchemaLike, segment: string | number): SchemaLike | undefined {
  const def = unwrap(schema).schema._zod.def;
  if (def.type === 'object' && typeof segment === 'string') {
    const shape = def.shape;
    return shape && Object.hasOwn(shape, segment) ? shape[segment] : undefined;
  }
  if (def.type === 'record' && typeof segment === 'string') return def.valueType;
  if (def.type === 'array' && typeof segment === 'number') return def.element;
  return undefined;
}

/** The keys of an object schema (unwrapped), or undefined when it is not one. */
export function objectKeys(schema: SchemaLike): readonly string[] | undefined {
  const def = unwrap(schema).schema._zod.def;
  if (def.type === 'object' && def.shape) return Object.keys(def.shape);
  return undefined;
}

/** True for a record schema, whose keys are whatever the source says. */
export function isRecord(schema: SchemaLike): boolean {
  return unwrap(schema).schema._zod.def.type === 'record';
}

/** The element schema of an array schema, or undefined. */
export function arrayElement(schema: SchemaLike): SchemaLike | undefined {
  const def = unwrap(schema).schema._zod.def;
  return def.type === 'array' ? def.element : undefined;
}

/** The literal values of a literal or enum schema. */
export function literalValues(schema: SchemaLike): readonly unknown[] {
  const def = unwrap(schema).schema._zod.def;
  if (def.type === 'literal') return def.values ?? [];
  if (def.type === 'enum') return Object.values(def.entries ?? {});
  return [];
}

/** What a leaf wants, so `"8080"` becomes 8080 and `"no"` becomes false. */
export function leafKind(schema: SchemaLike): LeafKind {
  const inner = unwrap(schema).schema;
  const def = inner._zod.def;
  switch (def.type) {
    case 'string':
      return 'string';
    case 'number': {
      const int =
        def.format === 'safeint' ||
        def.format === 'int32' ||
        def.format === 'uint32' ||
        (def.checks ?? []).some((c) => /int/.test(c._zod.def.format ?? ''));
      return int ? 'int' : 'number';
    }
    case 'bigint':
      return 'bigint';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'array':
    case 'tuple':
    case 'set':
      return 'array';
    case 'object':
    case 'record':
    case 'map':
      return 'object';
    case 'literal':
    case 'enum':
      return 'literal';
    case 'union': {
      const kinds = new Set((def.options ?? []).map((o) => leafKind(o)));
      return kinds.size === 1 ? ([...kinds][0] as LeafKind) : 'unknown';
    }
    default:
      return 'unknown';
  }
}
