// Finds the TypeScript blocks of the Markdown docs and turns them into files tsc and node can
// check. Conventions (README.md "Docs are tests", docs/README.md):
//   ```ts            typechecked as a standalone ES module against the built package
//   ```ts runnable   also run with node; it must end by itself, quickly
//   ```text          anything that cannot be a module
// A guide with the line `<!-- docs-test: program -->` is one program: its ```ts blocks, in
// order, make one module that is typechecked (and run, when it says `program runnable`), the
// way a reader pasting each step into one file would get it. Its blocks are not checked alone.
// `<!-- docs-test: program runnable env APP_PORT=0 -->` sets environment variables for the run.
// A block of any language with `file=<path>` (```yaml file=config/app.yaml) is written to that
// path in the directory the guide's code runs in: the files a reader would create.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const FENCE = /^```(\S*)\s*(.*)$/;

/** README.md, docs/*.md and docs/decisions/*.md: the Markdown a user reads. */
export function markdownFiles(root) {
  const docs = join(root, 'docs');
  const inDir = (dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => join(dir, f));
  return [join(root, 'README.md'), ...inDir(docs), ...inDir(join(docs, 'decisions'))];
}

/**
 * Every fenced block of one Markdown file: `{ lang, flags, line, code }`, `line` being the
 * 1-based line of the opening fence (so line N of the code is line `line + N` of the file).
 */
export function blocksOf(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`line ${start + 1}: a code fence is never closed`);
    blocks.push({ lang: open[1], flags: open[2].split(/\s+/).filter(Boolean), line: start + 1, code: body.join('\n') });
  }
  return blocks;
}

/**
 * `{ run, env }` from the guide's `<!-- docs-test: program [runnable] [env K=V ...] -->`, or
 * undefined when the guide is not one program.
 */
export function programMode(text) {
  const m = /<!--\s*docs-test:\s*program\b([^>]*)-->/.exec(text);
  if (!m) return undefined;
  const words = m[1].trim().split(/\s+/).filter(Boolean);
  const env = {};
  for (const word of words.slice(words.indexOf('env') + 1)) {
    const eq = word.indexOf('=');
    if (words.includes('env') && eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return { run: words.includes('runnable'), env };
}

/** The `file=<path>` blocks of a guide: `[{ path, code }]`. */
function filesOf(blocks) {
  return blocks.flatMap((b) => {
    const flag = b.flags.find((f) => f.startsWith('file='));
    return flag ? [{ path: flag.slice(5), code: `${b.code}\n` }] : [];
  });
}

const IMPORT = /^import\s+(type\s+)?\{([^}]*)\}\s+from\s+(['"][^'"]+['"]);?\s*$/;

/**
 * Joins a guide's blocks into one module, keeping every line where it was (so an error maps back
 * to the guide): a name imported by an earlier step is dropped from a later step's import, as a
 * reader pasting the steps into one file would do. Returns `{ code, map }`, `map[i]` being the
 * Markdown line of the program's line i + 1.
 */
export function joinProgram(blocks) {
  const seen = new Set();
  const out = [];
  const map = [];
  for (const block of blocks) {
    const lines = block.code.split('\n');
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i];
      let span = 1;
      // An import may spread over several lines: read to its closing brace.
      if (/^import\s+(type\s+)?\{/.test(line) && !line.includes('}')) {
        while (i + span - 1 < lines.length - 1 && !lines[i + span - 1].includes('}')) span++;
        line = lines.slice(i, i + span).join(' ');
      }
      const m = IMPORT.exec(line);
      if (m) {
        const typeOnly = Boolean(m[1]);
        const names = m[2]
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .filter((name) => {
            const key = `${m[3]}:${name.replace(/^type\s+/, '')}`;
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
          });
        const rewritten =
          names.length === 0 ? '' : `import ${typeOnly ? 'type ' : ''}{ ${names.join(', ')} } from ${m[3]};`;
        out.push(rewritten);
        map.push(block.line + i + 1);
        for (let k = 1; k < span; k++) {
          out.push('');
          map.push(block.line + i + 1 + k);
        }
        i += span - 1;
        continue;
      }
      out.push(lines[i]);
      map.push(block.line + i + 1);
    }
  }
  return { code: `${out.join('\n')}\nexport {};\n`, map };
}

/**
 * `{ checks, problems }`: the checks to make, `{ id, source, code, map, run, env, files }` per
 * standalone block or program (`source` is the Markdown path relative to `root`; `map[i]` the
 * Markdown line of code line i + 1), and the conventions broken, as messages.
 */
export function collect(root) {
  const checks = [];
  const problems = [];
  for (const path of markdownFiles(root)) {
    const text = readFileSync(path, 'utf8');
    const source = relative(root, path);
    const slug = source
      .replace(/\.md$/, '')
      .replace(/[^\w]+/g, '-')
      .toLowerCase();
    const all = blocksOf(text);
    // A fence without a language is neither checked nor clearly exempt: say which it is.
    for (const b of all.filter((b) => b.lang === '')) {
      problems.push(
        `${source}:${b.line}: a code fence without a language; use \`\`\`ts for code, \`\`\`text for output`,
      );
    }
    const files = filesOf(all);
    const ts = all.filter((b) => b.lang === 'ts' || b.lang === 'typescript');
    const mode = programMode(text);
    if (mode !== undefined) {
      if (ts.length === 0) continue;
      const { code, map } = joinProgram(ts);
      checks.push({ id: `${slug}.program`, source, code, map, run: mode.run, env: mode.env, files });
      continue;
    }
    ts.forEach((block, n) => {
      const lines = block.code.split('\n');
      checks.push({
        id: `${slug}-${n + 1}`,
        source,
        code: `${block.code}\nexport {};\n`,
        map: lines.map((_, i) => block.line + i + 1),
        run: block.flags.includes('runnable'),
        env: {},
        files,
      });
    });
  }
  return { checks, problems };
}
