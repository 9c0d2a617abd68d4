/**
 * Reading the configuration files in order, each with its `$include`s merged under it, variables
 * expanded, and every problem named by file and line. A `.env` file's variables are read like the
 * environment's, at the file's place in the order.
 */
import { dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import type { ConfigIssue } from '../core/errors.js';
import { envSettings } from './env.js';
import { expandValues } from './expand.js';
import type { Layers } from './layers.js';
import type { Masking } from './masking.js';
import { parseDotenv, parseJson, parseYaml } from './parse.js';
import { formatPath, isPlainObject, type Path } from './paths.js';
import type { SchemaLike } from './schema.js';

/** A file to read: a path, or `{ path, optional: true }` for one that may be missing. */
export type ConfigFile =
  | string
  | {
      /** The file's path, relative to the working directory or absolute. */
      readonly path: string;
      /** When true, a missing file is skipped instead of being an error (it is still watched for). */
      readonly optional?: boolean | undefined;
    };

/** Reads a whole file as UTF-8; throws an error with a `code` (`ENOENT`...) when it cannot. */
export type ReadFile = (absolutePath: string) => string;

/** What reading the files needs and fills in. */
export interface FileContext {
  readonly schema: SchemaLike;
  readonly masking: Masking;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly envPrefix: string | undefined;
  readonly read: ReadFile;
  readonly layers: Layers;
  readonly issues: ConfigIssue[];
  readonly failed: Path[];
  /** Every file looked at, by absolute path, with its text (null when missing), for the watcher. */
  readonly contents: Map<string, string | null>;
}

const FORMATS: Record<string, 'yaml' | 'json' | 'dotenv'> = {
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.json': 'json',
  '.env': 'dotenv',
};

function formatOf(file: string): 'yaml' | 'json' | 'dotenv' | undefined {
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (base === '.env' || base.startsWith('.env.') || base.endsWith('.env')) return 'dotenv';
  return FORMATS[extname(file).toLowerCase()];
}

/** How a file is named in messages: relative to the working directory when under it. */
export function displayPath(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute;
}

/** Reads every file in order into `ctx.layers`. */
export function readFiles(files: readonly ConfigFile[], ctx: FileContext): void {
  for (const spec of files) {
    const path = typeof spec === 'string' ? spec : spec.path;
    const optional = typeof spec === 'string' ? false : spec.optional === true;
    readOne(resolve(path), optional, [], undefined, ctx);
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function readOne(
  file: string,
  optional: boolean,
  chain: string[],
  includedFrom: string | undefined,
  ctx: FileContext,
): void {
  const shown = displayPath(file);
  const fileIssue = (message: string, line?: number): void => {
    ctx.issues.push({ path: '', source: `file ${shown}${line ? `:${line}` : ''}`, message });
  };
  if (chain.includes(file)) {
    const cycle = [...chain.slice(chain.indexOf(file)), file].map(displayPath).join(' -> ');
    ctx.issues.push({ path: '', source: includedFrom ?? `file ${shown}`, message: `include cycle: ${cycle}` });
    return;
  }
  const format = formatOf(file);
  if (format === undefined) {
    fileIssue(`unknown file type "${extname(file) || '(none)'}"; use .json, .yaml, .yml or .env`);
    return;
  }
  let text: string;
  try {
    text = ctx.read(file);
    ctx.contents.set(file, text);
  } catch (error) {
    const code = errorCode(error);
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    ctx.contents.set(file, null);
    if (missing && optional) return;
    const why = missing ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
    if (includedFrom !== undefined)
      ctx.issues.push({ path: '', source: includedFrom, message: `included file ${shown} ${why}` });
    else fileIssue(`config file ${why}`);
    return;
  }
  if (format === 'dotenv') {
    readDotenv(text, shown, ctx);
    return;
  }
  const parsed = format === 'yaml' ? parseYaml(text) : parseJson(text);
  for (const problem of parsed.problems)
    fileIssue(`invalid ${format === 'yaml' ? 'YAML' : 'JSON'}: ${problem.message}`, problem.line);
  if (parsed.problems.length > 0) return;
  const value = parsed.value ?? {};
  if (!isPlainObject(value)) {
    fileIssue(`the top level must be a mapping of settings; got ${Array.isArray(value) ? 'a list' : typeof value}`);
    return;
  }
  const sourceAt = (path: Path): string => {
    for (let n = path.length; n > 0; n--) {
      const line = parsed.lines.get(formatPath(path.slice(0, n)));
      if (line !== undefined) return `file ${shown}:${line}`;
    }
    return `file ${shown}`;
  };
  const { $include: include, ...own } = value;
  if (include !== undefined) {
    const at = sourceAt(['$include']);
    const list = typeof include === 'string' ? [include] : include;
    if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p === '')) {
      ctx.issues.push({ path: '', source: at, message: '$include must be a path or a list of paths' });
    } else {
      for (const target of list as string[]) readOne(resolve(dirname(file), target), false, [...chain, file], at, ctx);
    }
  }
  const expanded = expandValues(own, ctx.env);
  for (const problem of expanded.problems) {
    ctx.failed.push(problem.path);
    ctx.issues.push({ path: formatPath(problem.path), source: sourceAt(problem.path), message: problem.message });
  }
  for (const { path, names } of expanded.used) {
    for (const name of names) {
      if (!ctx.masking.isSecretKey(name)) continue;
      ctx.masking.markSecretPath(path);
      ctx.masking.rememberSecret(ctx.env[name]);
    }
  }
  ctx.masking.rememberSecretsIn(expanded.value, []);
  ctx.layers.merge(expanded.value as Record<string, unknown>, sourceAt);
}

function readDotenv(text: string, shown: string, ctx: FileContext): void {
  const { entries, problems } = parseDotenv(text);
  for (const problem of problems) {
    ctx.issues.push({
      path: '',
      source: `file ${shown}${problem.line ? `:${problem.line}` : ''}`,
      message: `invalid .env: ${problem.message}`,
    });
  }
  const vars = entries.map((entry) => {
    const expanded = expandValues(entry.value, ctx.env);
    const source = `file ${shown}:${entry.line}`;
    for (const problem of expanded.problems)
      ctx.issues.push({ path: '', source, message: `${entry.name}: ${problem.message}` });
    if (expanded.used.some((u) => u.names.some((n) => ctx.masking.isSecretKey(n))))
      ctx.masking.rememberSecret(expanded.value);
    return { name: entry.name, value: expanded.problems.length > 0 ? undefined : (expanded.value as string), source };
  });
  const result = envSettings(vars, ctx.envPrefix, ctx.schema, ctx.masking);
  ctx.issues.push(...result.issues);
  ctx.failed.push(...result.failed);
  for (const setting of result.settings) ctx.layers.set(setting.path, setting.value, setting.source);
}
