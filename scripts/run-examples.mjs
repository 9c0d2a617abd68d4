#!/usr/bin/env node
// Runs every program in examples/ against the built package (they import 'bulwark' by name, so
// `npm run build` must come first). An example passes when it exits 0 by itself within the time
// limit (so it left no server, timer or watcher running), printed something, and wrote nothing to
// stderr (a warning or a stack trace there means something went wrong even if it exited 0).
// Examples check their own outcome with node:assert, so a broken one fails here rather than
// printing something wrong. Every example runs even when one fails; the failures are listed.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const LIMIT_MS = 20_000;
const dir = join(import.meta.dirname, '../examples');
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => only.length === 0 || only.some((name) => f.includes(name)))
  .sort();
if (files.length === 0) throw new Error(`no example matches ${only.join(', ')}`);

const failures = [];
for (const file of files) {
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(dir, file)], {
    encoding: 'utf8',
    timeout: LIMIT_MS,
    killSignal: 'SIGKILL',
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  const ms = Math.round(performance.now() - started);
  const out = run.stdout.trim();
  const err = run.stderr.trim();
  const problem =
    run.error?.code === 'ETIMEDOUT'
      ? `still running after ${LIMIT_MS} ms (something keeps the process alive)`
      : run.error
        ? `could not run: ${run.error.message}`
        : run.status !== 0
          ? `exited with ${run.status ?? run.signal}`
          : out === ''
            ? 'printed nothing'
            : err !== ''
              ? 'wrote to stderr'
              : undefined;
  if (problem === undefined) {
    console.log(`examples/${file}: ok (${out.split('\n').length} lines, ${ms} ms)`);
  } else {
    console.log(`examples/${file}: FAILED, ${problem}`);
    failures.push({ file, problem, out, err });
  }
}
for (const { file, problem, out, err } of failures) {
  console.error(`\n--- examples/${file}: ${problem}\n--- stdout:\n${out}\n--- stderr:\n${err}`);
}
console.log(`${files.length} examples ran, ${failures.length} failed`);
if (failures.length > 0) process.exitCode = 1;
