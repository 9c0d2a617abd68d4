/**
 * Decision 0009's numbers: loadConfig's time for 1,000, 10,000 and 70,000 settings in one YAML
 * file (70,000 is about 5 MB), beside the YAML parser's own time for the same text, so the growth
 * is seen to be linear (time per setting flat) and the loader's share of it is visible.
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

function median(fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    fn();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] as number;
}

const schema = z.record(z.string(), z.record(z.string(), z.string()));

export function measureConfigLoading(): void {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-load-bench-'));
  try {
    console.log('');
    console.log('| loadConfig, one YAML file | size | loadConfig | per setting | YAML parser alone | loader share |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const n of SIZES) {
      const text = yamlWith(n);
      const file = join(dir, `app-${n}.yaml`);
      writeFileSync(file, text);
      const loadMs = median(() => loadConfig({ schema, files: [file], env: {} }));
      const parseMs = median(() => parseDocument(text, { uniqueKeys: false }).toJS({ mapAsMap: true }));
      const mb = (text.length / 1024 / 1024).toFixed(2);
      const per = ((loadMs * 1000) / n).toFixed(1);
      const share = `${(((loadMs - parseMs) / loadMs) * 100).toFixed(0)}%`;
      console.log(
        `| ${n.toLocaleString('en')} settings | ${mb} MB | ${loadMs.toFixed(0)} ms | ${per} µs | ${parseMs.toFixed(0)} ms | ${share} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) measureConfigLoading();
