/**
 * The common block shape of a YAML file is read straight from the parser's tokens
 * (src/config/yaml-cst.ts); anything else is composed into a `Document` as before. For any text,
 * both must agree with the `yaml` package: where it reports an error, loadConfig refuses the file;
 * where loadConfig returns, it returns what yaml's own parse gives. The texts are data written by
 * yaml's `stringify`, with comments put in (and CRLF line ends, and a `---`), and then mutated at random (tabs, `#`, `:`, `-`,
 * quotes, indentation, `?`, `&`, `*`, `!`, flow brackets).
 */
import { ConfigError, loadConfig } from 'bulwark/config';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineCounter, Parser, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { fromCst } from '../../src/config/yaml-cst.js';
import { lineLookup, toYamlData } from '../../src/config/yaml-data.js';
import { tempDirs } from './helpers.ts';

const files = tempDirs();
const records = z.record(z.string(), z.unknown());

const key = fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__' && !k.includes('$'));
// No `$`: a `${` would be expanded from the environment.
const leaf = fc.oneof(
  fc.string({ maxLength: 10 }).filter((s) => !s.includes('$')),
  fc.constantFrom('1', '-0', '0x1F', '0o17', '.inf', '-.Inf', '.nan', '1e3', 'true', 'False', 'null', '~', ''),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(key, tie('tree'), { maxKeys: 4 }),
  ),
}));
const data = fc.dictionary(key, tree, { minKeys: 1, maxKeys: 5 });

/** `text` with comments put in: whole lines at some line starts, and after some lines. */
const commented = (text: string, picks: readonly number[]): string =>
  text
    .split('\n')
    .map((line, i) => {
      const pick = picks[i % picks.length] ?? 0;
      if (pick === 1) return `# note ${i}\n${line}`;
      if (pick === 2 && line.trim() !== '') return `${line} # note`;
      if (pick === 3) return `${line}\n${' '.repeat(i % 5)}# indented note`;
      return line;
    })
    .join('\n');

const noise = fc.constantFrom(
  ' ',
  '  ',
  '\t',
  '#',
  ' #',
  ':',
  ': ',
  '-',
  '- ',
  '\n',
  '"',
  "'",
  '?',
  '&a ',
  '*a',
  '!',
  '{',
  '[',
  ',',
  'x',
);
const mutation = fc.record({ at: fc.nat(), insert: noise, remove: fc.nat({ max: 2 }) });

function mutate(text: string, edits: readonly { at: number; insert: string; remove: number }[]): string {
  let out = text;
  for (const { at, insert, remove } of edits) {
    const i = out.length === 0 ? 0 : at % out.length;
    out = out.slice(0, i) + insert + out.slice(i + remove);
  }
  return out;
}

/** loadConfig's answer for `text` matches the yaml package's, as the file comment says. */
function agreesWithYaml(text: string): void {
  const doc = parseDocument(text);
  const file = files.write('app.yaml', text);
  let loaded: unknown;
  try {
    loaded = loadConfig({ schema: records, env: {}, files: [file] });
  } catch (error) {
    // Refusing is always safe here: invalid YAML, or a value the loader refuses on purpose
    // (a key that is not a name, `true` beside "true", a top level that is not a mapping).
    expect(error).toBeInstanceOf(ConfigError);
    return;
  }
  expect(doc.errors.map((e) => e.message)).toEqual([]);
  expect(loaded).toEqual(doc.toJS() ?? {});
}

describe('YAML read from the tokens or composed: the same as the yaml package', () => {
  it('for any data written by stringify, with comments', () => {
    fc.assert(
      fc.property(
        data,
        fc.integer({ min: 2, max: 4 }),
        fc.array(fc.nat({ max: 4 }), { minLength: 1 }),
        (d, indent, picks) => {
          const text = commented(stringify(d, { indent }), picks);
          agreesWithYaml(text);
          agreesWithYaml(text.replace(/\n/g, '\r\n'));
          agreesWithYaml(`---\n${text}`);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);

  it('for any such text mutated at random', () => {
    fc.assert(
      fc.property(
        data,
        fc.array(fc.nat({ max: 4 }), { minLength: 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (d, picks, edits) => {
          agreesWithYaml(mutate(commented(stringify(d), picks), edits));
        },
      ),
      { numRuns: 1500 },
    );
  }, 60_000);

  it('the fast read takes most plain configs, and gives the lines the composed document gives', () => {
    let fast = 0;
    fc.assert(
      fc.property(data, fc.array(fc.nat({ max: 4 }), { minLength: 1 }), (d, picks) => {
        const text = commented(stringify(d), picks);
        const counter = new LineCounter();
        const read = fromCst(Array.from(new Parser(counter.addNewLine).parse(text)));
        if (read === undefined) return;
        fast++;
        const lines = lineLookup(read.value, read.offsets, composedCounter(text).counter);
        const composed = composedCounter(text);
        const reference = toYamlData(composed.doc.contents, composed.counter);
        expect(read.value).toEqual(reference.value);
        for (const path of leafPaths(read.value)) expect(lines(path)).toBe(reference.lineOf(path));
      }),
      { numRuns: 300 },
    );
    // Block mappings of scalars are most of what stringify writes; flow `[]` `{}` and block
    // scalars are left to the composer.
    expect(fast).toBeGreaterThan(100);
  });

  it('reads the bench shape (groups of settings, no comments) from the tokens', () => {
    const text = Array.from({ length: 50 }, (_, g) => `group${g}:\n  key: value-${g}\n  port: ${g}\n`).join('');
    expect(fromCst(Array.from(new Parser().parse(text)))).toBeDefined();
  });
});

function composedCounter(text: string) {
  const counter = new LineCounter();
  return { counter, doc: parseDocument(text, { lineCounter: counter, uniqueKeys: false }) };
}

function leafPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leafPaths(item, [...path, i]));
  if (typeof value === 'object' && value !== null)
    return Object.keys(value).flatMap((k) => leafPaths((value as Record<string, unknown>)[k], [...path, k]));
  return [path];
}
