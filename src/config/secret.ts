import type { ZodType } from 'zod';

/** Metadata bulwark reads from a zod schema: `{ secret: true }` marks a setting secret. */
export interface SecretMeta {
  /** The setting is secret: masked in errors, `toJSON()`, `util.inspect`, explanations and diffs. */
  readonly secret?: boolean;
}

/**
 * Marks a setting secret, whatever its key is called. The same as `schema.meta({ secret: true })`
 * (zod 4 metadata, kept with the schema's other metadata); either spelling works.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { loadConfig, secret } from 'bulwark/config';
 *
 * const config = loadConfig({
 *   schema: z.object({ upstream: z.object({ url: z.url(), credentials: secret(z.string()) }) }),
 *   envPrefix: 'APP_',
 * });
 * ```
 */
export function secret<S extends ZodType>(schema: S): S {
  if (typeof (schema as { meta?: unknown })?.meta !== 'function') {
    throw new TypeError('secret: expected a zod 4 schema, such as secret(z.string())');
  }
  return schema.meta({ secret: true });
}
