/**
 * Decision 0009's numbers: loadConfig's time for 1,000, 10,000 and 70,000 settings in one YAML
 * file (70,000 is about 5 MB), beside the YAML parser's own time for the same text, so the growth
 * is seen to be linear (time per setting flat) and the loader is compared with the parser alone.
 * CPU time is printed too: on a shared machine it moves less with the load than wall time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from 'bulwark/config';
import { parseDocument } from 'yaml';
import { z } from 'zod';

const SIZES = [1_000, 10_000, 70_000];
const ROUNDS = 3;

/** `n` settings in groups of 10: `group123:\n  key4: value-...`. */
function yamlWith(n: number): string {
  const lines: string[] = [];
  for (let g = 0; g < n / 10; g++) {
    lines.push(`group${g}:`);
    for (let k = 0; k < 10; k++) lines.push(`  key${k}: value-${g}-${k}-${'x'.repeat(48)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Median wall time and median CPU time (user + system, all threads) of `ROUNDS` runs, in ms. */
function median(fn: () => void): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    const usage = process.cpuUsage();
    fn();
    const used = process.cpuUsage(usage);
    wall.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] as number;
  return { wall: mid(wall), cpu: mid(cpu) };
}

const schema = z.record(z.string(), z.record(z.string(), z.string()));

export function measureConfigLoading(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-load-bench-'));
  try {
    console.log('');
    console.log(
      '| loadConfig, one YAML file | size | loadConfig | per setting | its CPU time | YAML parser alone | loader / parser |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const n of SIZES) {
      const text = yamlWith(n);
      const file = join(dir, `app-${n}.yaml`);
      writeFileSync(file, text);
      const load = median(() => loadConfig({ schema, files: [file], env: {} }));
      // What the yaml package alone takes to read the text into plain data (its `parse`, without
      // the duplicate-key check that is quadratic): the anchor the loader is compared with.
      const parse = median(() => parseDocument(text, { uniqueKeys: false }).toJS({ mapAsMap: true }));
      const mb = (text.length / 1024 / 1024).toFixed(2);
      const per = ((load.wall * 1000) / n).toFixed(1);
      console.log(
        `| ${n.toLocaleString('en')} settings | ${mb} MB | ${load.wall.toFixed(0)} ms | ${per} µs | ${load.cpu.toFixed(0)} ms | ${parse.wall.toFixed(0)} ms | ${(load.wall / parse.wall).toFixed(2)}x |`,
      );
    }
    console.log('');
    console.log('Target: 70,000 settings (4.73 MB) load in under 1 s (wall, on an idle core).');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) measureConfigLoading();
