/**
 * Decision 0009's partial-write numbers: a file rewritten in place in two pieces, the first valid
 * on its own, `gapMs` apart. How often does the watcher apply the half-written config, for a
 * given `debounceMs`? And would waiting for the file's size and mtime to settle help? Real files,
 * real events, the system clock; reported, not a budget.
 */
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchConfig } from 'bulwark/config';
import { z } from 'zod';

const schema = z.object({ limit: z.int(), level: z.enum(['info', 'debug']).default('info') });
const GAPS = [20, 80, 150, 300, 600];
const DEBOUNCES = [100, 400];
const ROUNDS = 8;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rounds in which the watcher applied the first piece alone (level still the default). */
async function partialsApplied(debounceMs: number, gapMs: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-partial-'));
  const file = join(dir, 'app.yaml');
  writeFileSync(file, 'limit: 0\nlevel: debug\n');
  const watcher = watchConfig({ schema, files: [file], env: {}, debounceMs });
  let partials = 0;
  watcher.on('change', ({ config }) => {
    if (config.level === 'info') partials++;
  });
  try {
    for (let i = 1; i <= ROUNDS; i++) {
      writeFileSync(file, `limit: ${i}\n`);
      await pause(gapMs);
      appendFileSync(file, 'level: debug\n');
      await pause(debounceMs + 150);
    }
  } finally {
    await watcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return partials;
}

/**
 * What a "wait until size and mtime settle" rule sees during the writer's pause: the file's size
 * and mtime, sampled every 10 ms over the gap, change only when a piece lands. A pause is
 * indistinguishable from the end of the write, so settling is a longer debounce and nothing more.
 */
async function statsDuringGap(gapMs: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-partial-stat-'));
  const file = join(dir, 'app.yaml');
  try {
    writeFileSync(file, 'limit: 1\n');
    const seen = new Set<string>();
    for (let t = 0; t < gapMs; t += 10) {
      const s = statSync(file);
      seen.add(`${s.size}:${s.mtimeMs}`);
      await pause(10);
    }
    return seen.size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measurePartialWrites(): Promise<void> {
  console.log('');
  console.log(
    `| in-place write in two pieces, gap between them | ${DEBOUNCES.map((d) => `debounceMs ${d}`).join(' | ')} | distinct size+mtime during the gap |`,
  );
  console.log(`| --- | ${DEBOUNCES.map(() => '---:').join(' | ')} | ---: |`);
  for (const gap of GAPS) {
    const cells: string[] = [];
    for (const debounce of DEBOUNCES) cells.push(`${await partialsApplied(debounce, gap)}/${ROUNDS} partial`);
    console.log(`| ${gap} ms | ${cells.join(' | ')} | ${await statsDuringGap(gap)} |`);
  }
}

if (import.meta.main) await measurePartialWrites();
