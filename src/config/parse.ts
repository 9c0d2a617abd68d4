/**
 * Parsers for the file formats, each giving the value, the line each key is on (for sources like
 * `file config/app.yaml:12`), and problems with their line. Messages never quote the file's text,
 * so a secret next to a syntax error is not copied into the error.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { type DataProblem, DEPTH_MESSAGE, toData } from './data.js';
import { MAX_DEPTH } from './limits.js';
import type { Path } from './paths.js';

/**
 * A parsed file: its value (clean data, see `toData`), the line of each key path, what kept it
 * from parsing (`problems`, with their line) and what in it was refused (`refused`, by path).
 */
export interface Parsed {
  readonly value: unknown;
  readonly lines: ReadonlyMap<string, number>;
  readonly problems: readonly { readonly line?: number; readonly message: string }[];
  readonly refused: readonly DataProblem[];
}

/** One `KEY=value` of a `.env` file. */
export interface DotenvEntry {
  readonly name: string;
  readonly value: string;
  readonly line: number;
}

/**
 * The line of every key path and, when asked, the duplicate keys of each mapping (found here in
 * one pass with a set per mapping: the parser's own `uniqueKeys` check compares every key with
 * every other, which took minutes on a file of 70,000 keys). Stops below {@link MAX_DEPTH}, where
 * the value is refused anyway.
 */
function lineMap(
  root: unknown,
  counter: LineCounter,
  duplicates?: { line: number; message: string }[],
  tooDeep?: DataProblem[],
): Map<string, number> {
  const lines = new Map<string, number>();
  // `at` is formatPath(path), built as the walk goes down: one string per key, not one per level.
  const walk = (node: unknown, path: (string | number)[], at: string): void => {
    if (path.length >= MAX_DEPTH) {
      if ((isMap(node) || isSeq(node)) && tooDeep?.length === 0)
        tooDeep.push({ path: [...path], message: DEPTH_MESSAGE });
      return;
    }
    if (isMap(node)) {
      const seen = duplicates ? new Set<string>() : undefined;
      for (const pair of node.items) {
        const raw = isScalar(pair.key) ? pair.key.value : undefined;
        if (typeof raw !== 'string' && typeof raw !== 'number') continue;
        const key = String(raw);
        const childAt = at === '' ? key : `${at}.${key}`;
        const range = (pair.key as Node).range;
        const line = range ? counter.linePos(range[0]).line : undefined;
        if (seen?.has(key))
          duplicates?.push({ line: line ?? 0, message: `Map keys must be unique; "${key}" is repeated` });
        seen?.add(key);
        if (line !== undefined) lines.set(childAt, line);
        path.push(key);
        walk(pair.value, path, childAt);
        path.pop();
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const childAt = `${at}[${index}]`;
        const range = (item as Node | null)?.range;
        if (range) lines.set(childAt, counter.linePos(range[0]).line);
        path.push(index);
        walk(item, path, childAt);
        path.pop();
      });
    }
  };
  walk(root, [], '');
  return lines;
}

/** YAML 1.2 (core schema: `yes` stays a string). Duplicate keys and multiple documents are errors. */
export function parseYaml(text: string): Parsed {
  const counter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: false });
  } catch (error) {
    // The parser recurses: input nested deep enough exhausts the stack before any bound of ours.
    const message = error instanceof RangeError ? DEPTH_MESSAGE : firstLine(String(error));
    return { value: undefined, lines: new Map(), problems: [{ message }], refused: [] };
  }
  if (doc.errors.length > 0) {
    return {
      value: undefined,
      lines: new Map(),
      problems: doc.errors.map((e) => ({
        line: counter.linePos(e.pos[0]).line,
        // The parser catches its own stack overflow on deep input and reports it as an error.
        message: /Maximum call stack/.test(e.message) ? DEPTH_MESSAGE : firstLine(e.message),
      })),
      refused: [],
    };
  }
  const duplicates: { line: number; message: string }[] = [];
  const tooDeep: DataProblem[] = [];
  const lines = lineMap(doc.contents, counter, duplicates, tooDeep);
  if (duplicates.length > 0) return { value: undefined, lines, problems: duplicates, refused: [] };
  // Refused before toJS, which recurses and would exhaust the stack on deep input.
  if (tooDeep.length > 0) return { value: undefined, lines, problems: [], refused: tooDeep };
  let raw: unknown;
  try {
    // Mappings as Maps: the parser then never assigns a `__proto__` key (which would set the
    // object's prototype); toData sees it as the key it is and refuses it.
    raw = doc.toJS({ maxAliasCount: 100, mapAsMap: true });
  } catch (error) {
    return { value: undefined, lines, problems: [{ message: firstLine(String(error)) }], refused: [] };
  }
  const data = toData(raw);
  return { value: data.value, lines, problems: [], refused: data.problems };
}

/** Strict JSON, with the line of a syntax error; key lines come from reading it as YAML, which JSON is. */
export function parseJson(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /position (\d+)/.exec(message);
    const line = at ? text.slice(0, Number(at[1])).split('\n').length : undefined;
    // V8's message quotes the text around the error ("...is not valid JSON"); keep only its kind.
    const kind = message.replace(/\s*(?:at position|in JSON at position|, ").*$/s, '').replace(/"[^"]*"/g, '…');
    return {
      value: undefined,
      lines: new Map(),
      problems: [{ ...(line ? { line } : {}), message: kind }],
      refused: [],
    };
  }
  const data = toData(value);
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false });
  const lines = doc.errors.length === 0 ? lineMap(doc.contents, counter) : new Map<string, number>();
  return { value: data.value, lines, problems: [], refused: data.problems };
}

const DOTENV_LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;

/**
 * `.env` files: `KEY=value`, `export KEY=value`, `#` comments, single quotes (literal), double
 * quotes (with `\n`, `\t`, `\"`, `\\` escapes, may span lines), and ` # comments` after bare values.
 */
export function parseDotenv(text: string): { entries: DotenvEntry[]; problems: Parsed['problems'] } {
  const entries: DotenvEntry[] = [];
  const problems: { line?: number; message: string }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const lineNo = i + 1;
    if (/^\s*(#|$)/.test(raw)) continue;
    const match = DOTENV_LINE.exec(raw);
    if (!match) {
      problems.push({ line: lineNo, message: 'expected NAME=value' });
      continue;
    }
    const name = match[1] as string;
    let rest = (match[2] as string).trim();
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may continue over the next lines until its closing quote.
      let body = rest.slice(1);
      let end = findClose(body, quote);
      while (end === -1 && quote === '"' && i + 1 < lines.length) {
        i++;
        body += `\n${lines[i]}`;
        end = findClose(body, quote);
      }
      if (end === -1) {
        problems.push({ line: lineNo, message: `${name}: the quoted value is never closed` });
        continue;
      }
      const after = body.slice(end + 1).trim();
      if (after !== '' && !after.startsWith('#')) {
        problems.push({ line: lineNo, message: `${name}: unexpected text after the closing quote` });
        continue;
      }
      body = body.slice(0, end);
      rest = quote === '"' ? unescapeDouble(body) : body;
    } else {
      rest = rest.replace(/\s+#.*$/, '');
    }
    entries.push({ name, value: rest, line: lineNo });
  }
  return { entries, problems };
}

function findClose(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && quote === '"') i++;
    else if (body[i] === quote) return i;
  }
  return -1;
}

function unescapeDouble(body: string): string {
  return body.replace(/\\([nrt"\\$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.replace(/\s+at line \d+, column \d+:?$/, '') ?? message;
}

/** For callers that already hold a path as segments. */
export type { Path };
