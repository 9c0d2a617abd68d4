/** The loader's options, checked once: each error names the option, what it got and what is valid. */

import type { $ZodType } from 'zod/v4/core';
import { describe } from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject } from '../core/options.js';
import type { ConfigFile } from './files.js';
import { isPlainObject } from './paths.js';
import { isSchema, type SchemaLike } from './schema.js';

/** Options of {@link loadConfig}, {@link explainConfig} and (with more) {@link watchConfig}. */
export interface LoadConfigOptions<S extends $ZodType = $ZodType> {
  /** The zod 4 schema: its output is the config's type. Required. */
  readonly schema: S;
  /** Files in order, later over earlier: `.json`, `.yaml`/`.yml`, `.env`; `{ path, optional: true }` may be missing. */
  readonly files?: readonly ConfigFile[] | undefined;
  /** The environment to read (default `process.env`); also what `${VAR}` in files expands from. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * Only variables starting with this are settings (`'APP_'`: `APP_DB__URL` sets `db.url`), and one
   * that matches no setting is an error. Without it, a variable is used when its name is a setting's.
   */
  readonly envPrefix?: string | undefined;
  /** Settings over every other source, e.g. from command-line flags. */
  readonly overrides?: Readonly<Record<string, unknown>> | undefined;
  /** More key words or patterns that make a setting secret, beyond the logger's defaults. */
  readonly secretKeys?: readonly (string | RegExp)[] | undefined;
}

/** The loader's options after checking. */
export interface CheckedOptions {
  readonly schema: SchemaLike;
  readonly files: readonly ConfigFile[];
  readonly env: Readonly<Record<string, string | undefined>> | undefined;
  readonly envPrefix: string | undefined;
  readonly overrides: Readonly<Record<string, unknown>> | undefined;
  readonly secretKeys: readonly (string | RegExp)[];
}

export const LOAD_KEYS = ['schema', 'files', 'env', 'envPrefix', 'overrides', 'secretKeys'] as const;

/** isPlainObject for a value that may be a Proxy whose traps throw (then it is not one). */
function readablePlainObject(value: unknown): boolean {
  try {
    return isPlainObject(value);
  } catch {
    return false;
  }
}

/** Checks the loader's options; `extra` are the names a caller (the watcher) adds. */
export function checkLoadOptions(where: string, options: unknown, extra: readonly string[] = []): CheckedOptions {
  checkOptionsObject(where, options);
  if (options === undefined)
    throw new TypeError(`${where}: options are required: { schema, files?, env?, envPrefix? }`);
  checkKnownKeys(where, options, [...LOAD_KEYS, ...extra]);
  const o = options as Partial<Record<(typeof LOAD_KEYS)[number], unknown>>;
  if (!isSchema(o.schema)) {
    throw new TypeError(
      `${where}: option "schema" must be a zod 4 schema such as z.object({...}); got ${describe(o.schema)}`,
    );
  }
  const files = o.files ?? [];
  if (!Array.isArray(files)) {
    throw new TypeError(
      `${where}: option "files" must be an array of paths or { path, optional } objects; got ${describe(files)}`,
    );
  }
  files.forEach((file: unknown, i) => {
    const ok =
      (typeof file === 'string' && file !== '') ||
      (isPlainObject(file) &&
        typeof file.path === 'string' &&
        file.path !== '' &&
        Object.keys(file).every((k) => k === 'path' || k === 'optional') &&
        (file.optional === undefined || typeof file.optional === 'boolean'));
    if (!ok) {
      throw new TypeError(
        `${where}: option "files[${i}]" must be a path or { path: string, optional?: boolean }; got ${describe(file)}`,
      );
    }
  });
  if (o.env !== undefined && (typeof o.env !== 'object' || o.env === null || Array.isArray(o.env))) {
    throw new TypeError(`${where}: option "env" must be an object of strings like process.env; got ${describe(o.env)}`);
  }
  if (o.envPrefix !== undefined && (typeof o.envPrefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.envPrefix))) {
    throw new TypeError(
      `${where}: option "envPrefix" must be a variable-name prefix such as "APP_"; got ${describe(o.envPrefix)}`,
    );
  }
  if (o.overrides !== undefined && !readablePlainObject(o.overrides)) {
    throw new TypeError(
      `${where}: option "overrides" must be a plain object of settings; got ${describe(o.overrides)}`,
    );
  }
  const secretKeys = o.secretKeys ?? [];
  if (!Array.isArray(secretKeys) || secretKeys.some((k) => typeof k !== 'string' && !(k instanceof RegExp))) {
    throw new TypeError(
      `${where}: option "secretKeys" must be an array of strings or RegExps; got ${describe(secretKeys)}`,
    );
  }
  return {
    schema: o.schema as SchemaLike,
    files: files as ConfigFile[],
    env: o.env as CheckedOptions['env'],
    envPrefix: o.envPrefix,
    overrides: o.overrides as CheckedOptions['overrides'],
    secretKeys: secretKeys as (string | RegExp)[],
  };
}
