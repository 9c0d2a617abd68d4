/**
 * Loading: read every source in precedence order, validate once with the schema, and report every
 * problem at once, each named by setting and source, with no secret in any message.
 */
import type { $ZodType, output } from 'zod/v4/core';
import { ConfigError, type ConfigIssue, describe } from '../core/errors.js';
import { toData } from './data.js';
import { envName, envSettings } from './env.js';
import { type Env, ownEnv } from './expand.js';
import { type ReadFile, readFiles } from './files.js';
import { type DeepReadonly, freezeConfig } from './freeze.js';
import { Layers } from './layers.js';
import { Masking } from './masking.js';
import { type CheckedOptions, checkLoadOptions, type LoadConfigOptions } from './options.js';
import { formatPath, isPlainObject, isUnder, type Path } from './paths.js';
import { readConfigFile } from './read-file.js';
import {
  childSchema,
  type LeafKind,
  leafKind,
  literalValues,
  objectKeys,
  type SchemaLike,
  type ZodIssueLike,
} from './schema.js';

/** The config {@link loadConfig} returns: the schema's output (`z.output<S>`), deeply frozen. */
export type Config<S extends $ZodType> = DeepReadonly<output<S>>;

/** Everything one evaluation of the sources found. */
export interface Evaluation {
  readonly issues: ConfigIssue[];
  /** The schema's output when there were no issues. */
  readonly output: unknown;
  readonly valid: boolean;
  readonly layers: Layers;
  readonly masking: Masking;
  /** Every file looked at, by absolute path, with its text (null when missing). */
  readonly contents: Map<string, string | null>;
}

/** Reads, merges and validates the sources once. Never throws for a bad config: it lists issues. */
export function evaluate(options: CheckedOptions, read: ReadFile = readConfigFile): Evaluation {
  const { schema, envPrefix } = options;
  const masking = new Masking(schema, options.secretKeys);
  const layers = new Layers();
  const issues: ConfigIssue[] = [];
  const failed: Path[] = [];
  const contents = new Map<string, string | null>();
  let env: Env;
  try {
    env = ownEnv(options.env ?? process.env);
  } catch (error) {
    env = Object.create(null);
    issues.push({ path: '', source: 'env', message: `the environment object cannot be read: ${describe(error)}` });
  }
  seedObjects(schema, layers, []);
  readFiles(options.files, { schema, masking, env, envPrefix, read, layers, issues, failed, contents });

  const vars = Object.keys(env).map((name) => ({ name, value: env[name], source: `env ${name}` }));
  const fromEnv = envSettings(vars, envPrefix, schema, masking);
  issues.push(...fromEnv.issues);
  failed.push(...fromEnv.failed);
  for (const setting of fromEnv.settings) layers.set(setting.path, setting.value, setting.source);

  if (options.overrides) mergeOverrides(options.overrides, layers, masking, issues);

  const result = schema.safeParse(layers.value);
  if (!result.success) {
    const failedPaths = failed.map(formatPath);
    for (const issue of result.error.issues) {
      for (const found of describeIssue(issue, schema, layers, masking, envPrefix)) {
        if (failedPaths.some((p) => isUnder(found.path, p))) continue;
        issues.push(found);
      }
    }
  }
  const scrubbed = issues.map((i) => ({ path: i.path, source: i.source, message: masking.scrub(i.message) }));
  const valid = scrubbed.length === 0 && result.success;
  return { issues: scrubbed, output: valid ? result.data : undefined, valid, layers, masking, contents };
}

/** The caller's overrides, copied as clean data first: they may come from a parsed request or file. */
function mergeOverrides(overrides: object, layers: Layers, masking: Masking, issues: ConfigIssue[]): void {
  let data: ReturnType<typeof toData>;
  try {
    data = toData(overrides);
  } catch (error) {
    issues.push({ path: '', source: 'override', message: `the overrides cannot be read: ${describe(error)}` });
    return;
  }
  for (const problem of data.problems) {
    issues.push({ path: formatPath(problem.path), source: 'override', message: problem.message });
  }
  if (data.problems.length > 0) return;
  masking.rememberSecretsIn(data.value, []);
  layers.merge(data.value as Record<string, unknown>, () => 'override');
}

/**
 * Every required object setting starts as `{}`, so the defaults inside it apply and a missing
 * setting is reported where it is (`db.host`), not as a missing `db`. Optional objects and
 * objects with their own default are left to the schema.
 */
function seedObjects(schema: SchemaLike, layers: Layers, path: Path): void {
  for (const key of objectKeys(schema) ?? []) {
    const child = childSchema(schema, key);
    if (child === undefined || child._zod.def.type !== 'object') continue;
    layers.set([...path, key], Object.create(null), undefined);
    seedObjects(child, layers, [...path, key]);
  }
}

function schemaAt(schema: SchemaLike, path: Path): SchemaLike | undefined {
  let current: SchemaLike | undefined = schema;
  for (const segment of path) current = current === undefined ? undefined : childSchema(current, segment);
  return current;
}

const WANTS: Partial<Record<LeafKind, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'a boolean',
  date: 'a date',
  array: 'a list',
  object: 'an object',
};

/** What a setting wants, in words, for "required (a whole number) but not set". */
function wants(schema: SchemaLike | undefined): string | undefined {
  if (schema === undefined) return undefined;
  const kind = leafKind(schema);
  if (kind === 'literal')
    return `one of ${literalValues(schema)
      .map((v) => JSON.stringify(v))
      .join(', ')}`;
  return WANTS[kind];
}

function describeIssue(
  issue: ZodIssueLike,
  schema: SchemaLike,
  layers: Layers,
  masking: Masking,
  envPrefix: string | undefined,
): ConfigIssue[] {
  const path = issue.path.filter((s): s is string | number => typeof s === 'string' || typeof s === 'number');
  if (issue.code === 'unrecognized_keys' && Array.isArray(issue.keys)) {
    return issue.keys.map((key) => {
      const at = [...path, key];
      return { path: formatPath(at), source: layers.sourceOf(at) ?? 'unknown', message: 'not a known setting' };
    });
  }
  const given = layers.valueAt(path);
  if (given === undefined && issue.code === 'invalid_type') {
    const wanted = wants(schemaAt(schema, path));
    return [
      {
        path: formatPath(path),
        source: 'not set',
        message: `required${wanted ? ` (${wanted})` : ''} but not set; set ${envName(envPrefix ?? '', path)} or "${formatPath(path)}" in a config file`,
      },
    ];
  }
  const source = layers.sourceOf(path) ?? (given === undefined ? 'default' : 'unknown');
  const shown =
    given === null || typeof given === 'string' || typeof given === 'number' || typeof given === 'boolean'
      ? `; got ${masking.show(given, path)}`
      : '';
  const message = masking.isSecretPath(path)
    ? `${issue.message} (the value is secret and not shown)`
    : `${issue.message}${shown}`;
  return [{ path: formatPath(path), source, message }];
}

/**
 * Loads the configuration from its sources (schema defaults < `files` in order < `env` <
 * `overrides`), validates it with the schema, and returns it deeply frozen, or throws a
 * `ConfigError` listing every problem with its setting and source. No secret appears in the
 * error, in `JSON.stringify(config)` or in `console.log(config)`.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { loadConfig, secret } from 'bulwark/config';
 *
 * const config = loadConfig({
 *   schema: z.object({
 *     port: z.int().default(8080),
 *     db: z.object({ url: z.url(), password: secret(z.string()) }),
 *   }),
 *   files: ['config/app.yaml', { path: 'config/local.yaml', optional: true }],
 *   envPrefix: 'APP_', // APP_DB__URL sets db.url
 * });
 * config.db.url; // typed: string
 * ```
 */
export function loadConfig<S extends $ZodType>(options: LoadConfigOptions<S>): Config<S> {
  const evaluation = evaluate(checkLoadOptions('loadConfig', options));
  if (!evaluation.valid) throw new ConfigError(evaluation.issues);
  return freezeConfig(evaluation.output, evaluation.masking) as Config<S>;
}

/** One setting and where it came from, as {@link explainConfig} reports it. */
export interface ExplainedSetting {
  /** Dotted path, e.g. `db.pool.max`. */
  readonly path: string;
  /** The value (after parsing when the config is valid), or `'[REDACTED]'` for a secret. */
  readonly value: unknown;
  /** `env APP_DB__URL`, `file config/app.yaml:12`, `override`, or `default`. */
  readonly source: string;
  /** True when the value is masked because the setting is secret. */
  readonly secret: boolean;
}

/** What {@link explainConfig} returns: every setting with its source, and the problems found. */
export interface ConfigExplanation {
  /** Every leaf setting, in the config's order. */
  readonly settings: readonly ExplainedSetting[];
  /** The problems `loadConfig` would throw for; empty when the config is valid. */
  readonly issues: readonly ConfigIssue[];
}

/**
 * Which source set each setting, for an operator asking "where did this value come from?".
 * Secrets are masked. It does not throw for an invalid config: the problems are in `issues`
 * and the settings show what the sources gave.
 *
 * @example
 * ```ts
 * import { explainConfig } from 'bulwark/config';
 *
 * const { settings, issues } = explainConfig({ schema, files: ['config/app.yaml'], envPrefix: 'APP_' });
 * console.table(settings); // path | value | source | secret
 * // db.url   | postgres://db:5432/app | env APP_DB__URL          | false
 * // db.pass  | [REDACTED]             | file config/app.yaml:4   | true
 * // port     | 8080                   | default                  | false
 * ```
 */
export function explainConfig<S extends $ZodType>(options: LoadConfigOptions<S>): ConfigExplanation {
  const evaluation = evaluate(checkLoadOptions('explainConfig', options));
  const { layers, masking } = evaluation;
  const settings: ExplainedSetting[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (isPlainObject(value) && (Object.keys(value).length > 0 || path.length === 0)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, [...path, key]);
      return;
    }
    const isSecret = masking.isSecretPath(path);
    settings.push({
      path: formatPath(path),
      value: masking.mask(value, path),
      source: layers.sourceOf(path) ?? 'default',
      secret: isSecret && value !== null && value !== undefined && typeof value !== 'boolean',
    });
  };
  walk(evaluation.valid ? evaluation.output : layers.value, []);
  return Object.freeze({ settings: Object.freeze(settings), issues: Object.freeze(evaluation.issues) });
}
