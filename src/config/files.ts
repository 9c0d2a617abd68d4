/**
 * Reading the configuration files in order, each with its `$include`s merged under it, variables
 * expanded, and every problem named by file and line. A `.env` file's variables are read like the
 * environment's, at the file's place in the order.
 */
import { dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import type { ConfigIssue } from '../core/errors.js';
import { envSettings } from './env.js';
import { type Env, type ExpandProblem, expandValues } from './expand.js';
import type { Layers } from './layers.js';
import { MAX_INCLUDE_DEPTH, MAX_INCLUDES } from './limits.js';
import type { Masking } from './masking.js';
import { parseDotenv, parseJson, parseYaml } from './parse.js';
import { formatPath, isPlainObject, type Path } from './paths.js';
import { FileRefusedError } from './read-file.js';
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
  readonly env: Env;
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
  return Object.hasOwn(FORMATS, extname(file).toLowerCase()) ? FORMATS[extname(file).toLowerCase()] : undefined;
}

/** How a file is named in messages: relative to the working directory when under it. */
export function displayPath(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute;
}

/** A data file read, parsed and expanded once per load, however often it is included. */
interface Loaded {
  /** The files it includes, in order. */
  readonly include: readonly string[];
  readonly includeAt: string;
  readonly value: Record<string, unknown> | undefined;
  readonly sourceAt: (path: Path) => string;
}

/** One load's reading state: each file once, the includes counted, each unset variable once. */
class Reading {
  readonly loaded = new Map<string, Loaded | null>();
  includes = 0;
  tooMany = false;
  readonly unset = new Map<string, { issue: ConfigIssue; more: number }>();

  constructor(readonly ctx: FileContext) {}

  /** Records an expansion problem: an unset variable is one issue however often it is used. */
  expandProblem(problem: ExpandProblem, source: string, path: string): void {
    const name = problem.unset;
    const known = name === undefined ? undefined : this.unset.get(name);
    if (known !== undefined) {
      known.more++;
      return;
    }
    const issue = { path, source, message: problem.message };
    if (name !== undefined) this.unset.set(name, { issue, more: 0 });
    this.ctx.issues.push(issue);
  }

  /** Adds "and N more settings" to each unset variable used more than once. */
  finish(): void {
    for (const { issue, more } of this.unset.values()) {
      if (more > 0) (issue as { message: string }).message += ` (it is also used by ${more} more settings)`;
    }
  }
}

/** Reads every file in order into `ctx.layers`. */
export function readFiles(files: readonly ConfigFile[], ctx: FileContext): void {
  const reading = new Reading(ctx);
  for (const spec of files) {
    const path = typeof spec === 'string' ? spec : spec.path;
    const optional = typeof spec === 'string' ? false : spec.optional === true;
    readOne(resolve(path), optional, [], undefined, reading);
  }
  reading.finish();
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
  reading: Reading,
): void {
  const { ctx } = reading;
  const shown = displayPath(file);
  if (chain.includes(file)) {
    const cycle = [...chain.slice(chain.indexOf(file)), file].map(displayPath).join(' -> ');
    ctx.issues.push({ path: '', source: includedFrom ?? `file ${shown}`, message: `include cycle: ${cycle}` });
    return;
  }
  if (chain.length > MAX_INCLUDE_DEPTH) {
    ctx.issues.push({
      path: '',
      source: includedFrom ?? `file ${shown}`,
      message: `includes nested more than ${MAX_INCLUDE_DEPTH} levels deep (${displayPath(chain[0] as string)} -> ... -> ${shown})`,
    });
    return;
  }
  if (includedFrom !== undefined && ++reading.includes > MAX_INCLUDES) {
    if (!reading.tooMany) {
      reading.tooMany = true;
      ctx.issues.push({
        path: '',
        source: includedFrom,
        message: `more than ${MAX_INCLUDES} includes in one load (is a file included from many places?)`,
      });
    }
    return;
  }
  let loaded = reading.loaded.get(file);
  if (loaded === undefined) {
    loaded = loadFile(file, optional, includedFrom, reading);
    reading.loaded.set(file, loaded);
  }
  if (loaded === null) return;
  for (const target of loaded.include) {
    if (reading.tooMany) break;
    readOne(resolve(dirname(file), target), false, [...chain, file], loaded.includeAt, reading);
  }
  if (loaded.value !== undefined) ctx.layers.merge(loaded.value, loaded.sourceAt);
}

/** Reads, parses and expands one file, reporting its problems; null when there is nothing to merge. */
function loadFile(file: string, optional: boolean, includedFrom: string | undefined, reading: Reading): Loaded | null {
  const { ctx } = reading;
  const shown = displayPath(file);
  const fileIssue = (message: string, line?: number): void => {
    ctx.issues.push({ path: '', source: `file ${shown}${line ? `:${line}` : ''}`, message });
  };
  const format = formatOf(file);
  if (format === undefined) {
    fileIssue(`unknown file type "${extname(file) || '(none)'}"; use .json, .yaml, .yml or .env`);
    return null;
  }
  let text: string;
  try {
    text = ctx.read(file);
    ctx.contents.set(file, text);
  } catch (error) {
    const code = errorCode(error);
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    ctx.contents.set(file, null);
    if (missing && optional) return null;
    const why =
      error instanceof FileRefusedError
        ? error.message
        : missing
          ? 'does not exist'
          : `cannot be read (${code ?? 'error'})`;
    if (includedFrom !== undefined)
      ctx.issues.push({ path: '', source: includedFrom, message: `included file ${shown} ${why}` });
    else fileIssue(`config file ${why}`);
    return null;
  }
  if (format === 'dotenv') {
    readDotenv(text, shown, reading);
    return null;
  }
  const parsed = format === 'yaml' ? parseYaml(text) : parseJson(text);
  for (const problem of parsed.problems)
    fileIssue(`invalid ${format === 'yaml' ? 'YAML' : 'JSON'}: ${problem.message}`, problem.line);
  if (parsed.problems.length > 0) return null;
  const sourceAt = (path: Path): string => {
    const line = parsed.lineOf(path);
    return line === undefined ? `file ${shown}` : `file ${shown}:${line}`;
  };
  for (const problem of parsed.refused) {
    ctx.issues.push({ path: formatPath(problem.path), source: sourceAt(problem.path), message: problem.message });
  }
  if (parsed.refused.length > 0) return null;
  const value = parsed.value ?? Object.create(null);
  if (!isPlainObject(value)) {
    fileIssue(`the top level must be a mapping of settings; got ${Array.isArray(value) ? 'a list' : typeof value}`);
    return null;
  }
  const includeAt = sourceAt(['$include']);
  let include: readonly string[] = [];
  if (value.$include !== undefined) {
    const list = typeof value.$include === 'string' ? [value.$include] : value.$include;
    if (Array.isArray(list) && list.every((p) => typeof p === 'string' && p !== '')) include = list as string[];
    else ctx.issues.push({ path: '', source: includeAt, message: '$include must be a path or a list of paths' });
  }
  const own: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) if (key !== '$include') own[key] = value[key];
  const expanded = expandValues(own, ctx.env);
  for (const problem of expanded.problems) {
    ctx.failed.push(problem.path);
    reading.expandProblem(problem, sourceAt(problem.path), formatPath(problem.path));
  }
  for (const { path, names } of expanded.used) {
    for (const name of names) {
      if (!ctx.masking.isSecretKey(name)) continue;
      ctx.masking.markSecretPath(path);
      ctx.masking.rememberSecret(ctx.env[name]);
    }
  }
  ctx.masking.rememberSecretsIn(expanded.value, []);
  return {
    include,
    includeAt,
    value: expanded.value as Record<string, unknown>,
    sourceAt,
  };
}

function readDotenv(text: string, shown: string, reading: Reading): void {
  const { ctx } = reading;
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
    for (const problem of expanded.problems) {
      reading.expandProblem({ ...problem, message: `${entry.name}: ${problem.message}` }, source, '');
    }
    if (expanded.used.some((u) => u.names.some((n) => ctx.masking.isSecretKey(n))))
      ctx.masking.rememberSecret(expanded.value);
    return { name: entry.name, value: expanded.problems.length > 0 ? undefined : (expanded.value as string), source };
  });
  const result = envSettings(vars, ctx.envPrefix, ctx.schema, ctx.masking);
  ctx.issues.push(...result.issues);
  ctx.failed.push(...result.failed);
  for (const setting of result.settings) ctx.layers.set(setting.path, setting.value, setting.source);
}
