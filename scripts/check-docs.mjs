#!/usr/bin/env node
// Docs are tests: every ```ts block of README.md and docs/**.md is typechecked as an ES module
// against the built package (`import ... from 'bulwark'` resolves to dist/ through the package's
// own exports, as in a user's project), ```ts runnable blocks run with node, and a guide marked
// `<!-- docs-test: program -->` is checked (and run) as the one program its steps build. Errors
// are reported at the guide's own line. Run `npm run build` first; `npm run check` does.
// `node scripts/check-docs.mjs getting-started` checks only the files whose path contains it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { collect } from './docs/blocks.mjs';

const root = resolve(import.meta.dirname, '..');
const out = join(root, '.tmp/docs');
const RUN_LIMIT_MS = 15_000;
// Blocks run on the Node npm scripts use (the node@24 devDependency), which runs .ts as is,
// even when this script is started by an older `node`.
const local = join(root, 'node_modules/.bin/node');
const NODE = existsSync(local) ? local : process.execPath;
const only = process.argv.slice(2);

if (!existsSync(join(root, 'dist/index.d.ts'))) {
  console.error('check-docs: dist/ is missing; run `npm run build` first');
  process.exit(1);
}

const collected = collect(root);
const mine = (source) => only.length === 0 || only.some((o) => source.includes(o));
const checks = collected.checks.filter((c) => mine(c.source));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const check of checks) {
  check.file = join(out, `${check.id}.ts`);
  writeFileSync(check.file, check.code);
}
// The repository's strictness, without its `paths`: 'bulwark' must resolve as a user's would.
writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2023',
      lib: ['ES2023', 'ESNext.Disposable', 'DOM'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: ['node'],
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      allowImportingTsExtensions: true,
      skipLibCheck: true,
      noEmit: true,
    },
    include: ['*.ts'],
    exclude: ['run'],
  }),
);

const byFile = new Map(checks.map((c) => [c.file, c]));
/** `docs/x.md:12` for line `line` of a generated file. */
const where = (check, line) => `${check.source}:${check.map[line - 1] ?? check.map.at(-1)}`;

const failures = collected.problems.filter((p) => mine(p));
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', out, '--pretty', 'false'],
  {
    encoding: 'utf8',
  },
);
for (const line of tsc.stdout.split('\n').filter(Boolean)) {
  const m = /^(.+?\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
  const check = m && byFile.get(resolve(m[1]));
  failures.push(check ? `${where(check, Number(m[2]))}: ${m[4]}` : line);
}
if (tsc.status !== 0 && failures.length === 0) failures.push(`tsc failed: ${tsc.stderr || tsc.stdout}`);

function run(check) {
  // Each run in a directory of its own, holding the guide's `file=` blocks (config files...).
  const cwd = join(out, 'run', check.id);
  for (const file of check.files) {
    mkdirSync(dirname(join(cwd, file.path)), { recursive: true });
    writeFileSync(join(cwd, file.path), file.code);
  }
  mkdirSync(cwd, { recursive: true });
  return new Promise((done) => {
    const started = performance.now();
    const child = spawn(NODE, ['--import', join(import.meta.dirname, 'docs/stand-in.mjs'), check.file], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...check.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Math.round(performance.now() - started);
      const warning = /\(node:\d+\) \w*Warning/.exec(stderr);
      const problem =
        signal === 'SIGKILL'
          ? `still running after ${RUN_LIMIT_MS} ms (something keeps the process alive)`
          : code !== 0
            ? `exited with ${code ?? signal}`
            : warning
              ? 'printed a Node warning'
              : undefined;
      done({ check, ms, problem, stdout, stderr });
    });
  });
}

const runnable = checks.filter((c) => c.run);
const results = [];
// Two at a time: CI machines are small and shared.
for (let i = 0; i < runnable.length; i += 2) results.push(...(await Promise.all(runnable.slice(i, i + 2).map(run))));
for (const { check, problem, stdout, stderr } of results) {
  if (problem === undefined) continue;
  failures.push(
    `${where(check, 1)} (${check.run ? 'runnable' : ''} ${check.id}): ${problem}\n--- stdout:\n${stdout.trim()}\n--- stderr:\n${stderr.trim()}`,
  );
}

const programs = checks.filter((c) => c.id.endsWith('.program')).length;
console.log(
  `docs: ${checks.length - programs} blocks and ${programs} guide programs typechecked, ${runnable.length} run, ${failures.length} problems`,
);
for (const f of failures) console.error(`  ${f}`);
if (failures.length > 0) process.exitCode = 1;
