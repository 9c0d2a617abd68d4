/**
 * Parsers for the file formats, each giving the value, the line each key is on (for sources like
 * `file config/app.yaml:12`), and problems with their line. Messages never quote the file's text,
 * so a secret next to a syntax error is not copied into the error.
 */
import { Composer, Document, LineCounter, Parser, parseDocument, YAMLParseError } from 'yaml';
import { type DataProblem, DEPTH_MESSAGE, toData } from './data.js';
import type { Path } from './paths.js';
import { fromCst } from './yaml-cst.js';
import { lineLookup, toYamlData } from './yaml-data.js';

/**
 * A parsed file: its value (clean data: null-prototype objects, no `__proto__` key, no cycle, no
 * more than 64 levels), the line of a key path (`lineOf`), what kept it from parsing
 * (`problems`, with their line) and what in it was refused (`refused`, by path).
 */
export interface Parsed {
  readonly value: unknown;
  /** The line of the deepest key or list item on `path` that the file has, if any. */
  readonly lineOf: (path: Path) => number | undefined;
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
 * Runs `parse` with `process.env` set, for its duration, to a plain object holding only the
 * parser's two debug switches. `yaml`'s parser reads `process.env.LOG_TOKENS` once per token
 * (588,000 reads for the 5 MB file of the bench), and every read of the real `process.env` calls
 * into the runtime: that was about a sixth of the load. The parse is synchronous, so no other code
 * runs while the plain object is in place, and the real one is put back even if the parse throws.
 * Where `process.env` cannot be replaced (a frozen `process`), the parse runs as it is.
 */
function withPlainEnv<T>(parse: () => T): T {
  const real = process.env;
  const plain: Record<string, string> = {};
  for (const name of ['LOG_TOKENS', 'LOG_STREAM']) {
    const value = real[name];
    if (value !== undefined) plain[name] = value;
  }
  try {
    process.env = plain;
  } catch {
    return parse();
  }
  try {
    return parse();
  } finally {
    process.env = real;
  }
}

const noLines = (): undefined => undefined;

/**
 * The parser's tokens for `text`, then either the value read straight from them (`fromCst`, the
 * common block shape) or the `Document` the composer makes of them, as `parseDocument` does.
 */
function parseYamlText(text: string, counter: LineCounter): Parsed | Document.Parsed {
  const tokens = Array.from(new Parser(counter.addNewLine).parse(text));
  const fast = fromCst(tokens);
  if (fast !== undefined) {
    return { value: fast.value, lineOf: lineLookup(fast.value, fast.offsets, counter), problems: [], refused: [] };
  }
  // The parser's own duplicate check (`uniqueKeys`) compares every key of a mapping with every
  // other (minutes for 70,000 keys); `toYamlData` finds duplicates with one lookup per key.
  const composer = new Composer({ uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(tokens, true, text.length)) {
    if (doc !== undefined) {
      doc.errors.push(
        new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents'),
      );
      break;
    }
    doc = next;
  }
  return doc as Document.Parsed;
}

/** YAML 1.2 (core schema: `yes` stays a string). Duplicate keys and multiple documents are errors. */
export function parseYaml(text: string): Parsed {
  const counter = new LineCounter();
  let doc: Document.Parsed;
  try {
    const parsed = withPlainEnv(() => parseYamlText(text, counter));
    if (!(parsed instanceof Document)) return parsed;
    doc = parsed;
  } catch (error) {
    // The parser recurses: input nested deep enough exhausts the stack before any bound of ours.
    const message = error instanceof RangeError ? DEPTH_MESSAGE : firstLine(String(error));
    return { value: undefined, lineOf: noLines, problems: [{ message }], refused: [] };
  }
  if (doc.errors.length > 0) {
    return {
      value: undefined,
      lineOf: noLines,
      problems: doc.errors.map((e) => ({
        line: counter.linePos(e.pos[0]).line,
        // The parser catches its own stack overflow on deep input and reports it as an error.
        message: /Maximum call stack/.test(e.message) ? DEPTH_MESSAGE : firstLine(e.message),
      })),
      refused: [],
    };
  }
  const data = toYamlData(doc.contents, counter);
  if (data.problems.length > 0) return { value: undefined, lineOf: data.lineOf, problems: data.problems, refused: [] };
  if (data.refused.length > 0) return { value: undefined, lineOf: data.lineOf, problems: [], refused: data.refused };
  return { value: data.value, lineOf: data.lineOf, problems: [], refused: [] };
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
      lineOf: noLines,
      problems: [{ ...(line ? { line } : {}), message: kind }],
      refused: [],
    };
  }
  const data = toData(value);
  const counter = new LineCounter();
  const doc = withPlainEnv(() => parseDocument(text, { lineCounter: counter, uniqueKeys: false }));
  const lineOf = doc.errors.length === 0 ? toYamlData(doc.contents, counter).lineOf : noLines;
  return { value: data.value, lineOf, problems: [], refused: data.problems };
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
