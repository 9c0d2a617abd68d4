/**
 * Decision 0005's numbers: how fast a config file change is seen through fs.watch on the
 * directory (what bulwark uses) and through chokidar, for an in-place write, an atomic rename and
 * a Kubernetes ConfigMap `..data` swap. Real files, real events; reported, not a budget.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchConfig } from 'bulwark/config';
import { watch } from 'chokidar';
import { z } from 'zod';

type Change = (dir: string, i: number) => void;

const SCENARIOS: Record<string, Change> = {
  'in-place write': (dir, i) => writeFileSync(join(dir, 'app.yaml'), `limit: ${i}\n`),
  'atomic rename': (dir, i) => {
    writeFileSync(join(dir, '.app.yaml.tmp'), `limit: ${i}\n`);
    renameSync(join(dir, '.app.yaml.tmp'), join(dir, 'app.yaml'));
  },
  'ConfigMap ..data swap': (dir, i) => {
    mkdirSync(join(dir, `..v${i}`));
    writeFileSync(join(dir, `..v${i}`, 'app.yaml'), `limit: ${i}\n`);
    symlinkSync(`..v${i}`, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  },
};

function setUp(scenario: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-watch-bench-'));
  if (scenario === 'ConfigMap ..data swap') {
    mkdirSync(join(dir, '..v0'));
    writeFileSync(join(dir, '..v0', 'app.yaml'), 'limit: 0\n');
    symlinkSync('..v0', join(dir, '..data'));
    symlinkSync(join('..data', 'app.yaml'), join(dir, 'app.yaml'));
  } else {
    writeFileSync(join(dir, 'app.yaml'), 'limit: 0\n');
  }
  return dir;
}

const ROUNDS = 20;
const TIMEOUT_MS = 2000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Median ms from change to notification, and how many changes were seen at all. */
async function measure(
  scenario: string,
  subscribe: (file: string, onChange: () => void) => Promise<() => Promise<void> | void>,
): Promise<{ medianMs: number; seen: number }> {
  const dir = setUp(scenario);
  let resolveSeen: (() => void) | undefined;
  const close = await subscribe(join(dir, 'app.yaml'), () => resolveSeen?.());
  await pause(100);
  const times: number[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    const seen = new Promise<boolean>((resolve) => {
      resolveSeen = () => resolve(true);
      setTimeout(() => resolve(false), TIMEOUT_MS);
    });
    const start = performance.now();
    (SCENARIOS[scenario] as Change)(dir, i);
    if (await seen) times.push(performance.now() - start);
    resolveSeen = undefined;
    await pause(30);
  }
  await close();
  rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)] ?? Number.NaN, seen: times.length };
}

const schema = z.object({ limit: z.int() });

export async function measureWatching(): Promise<void> {
  console.log('');
  console.log(
    `| config watching (${ROUNDS} changes each) | bulwark watchConfig (fs.watch on the directory) | chokidar 6 |`,
  );
  console.log('| --- | ---: | ---: |');
  for (const scenario of Object.keys(SCENARIOS)) {
    const ours = await measure(scenario, async (file, onChange) => {
      const watcher = watchConfig({ schema, files: [file], env: {}, debounceMs: 0 });
      watcher.on('change', onChange);
      return () => watcher.close();
    });
    const theirs = await measure(scenario, async (file, onChange) => {
      const watcher = watch(file, { ignoreInitial: true });
      watcher.on('all', onChange);
      await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
      return () => watcher.close();
    });
    const cell = (r: { medianMs: number; seen: number }) =>
      r.seen === 0 ? `missed ${ROUNDS}/${ROUNDS}` : `${r.medianMs.toFixed(2)} ms (seen ${r.seen}/${ROUNDS})`;
    console.log(`| ${scenario} | ${cell(ours)} | ${cell(theirs)} |`);
  }
}

if (import.meta.main) await measureWatching();
