#!/usr/bin/env node
// Runs every program in examples/ against the built package (they import 'bulwark' by name, so
// `npm run build` must come first) and fails if one exits non-zero, prints nothing, or hangs.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '../examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
for (const file of files) {
  const out = execFileSync(process.execPath, [join(dir, file)], { encoding: 'utf8', timeout: 30_000 });
  if (out.trim() === '') throw new Error(`examples/${file} printed nothing`);
  console.log(`examples/${file}: ok (${out.trim().split('\n').length} lines)`);
}
console.log(`${files.length} examples ran`);
