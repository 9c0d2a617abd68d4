import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from 'bulwark/config';
import { z } from 'zod';
function yamlWith(n: number): string { const lines: string[] = []; for (let g = 0; g < n / 10; g++) { lines.push(`group${g}:`); for (let k = 0; k < 10; k++) lines.push(`  key${k}: value-${g}-${k}-${'x'.repeat(48)}`);} return `${lines.join('\n')}\n`; }
const dir = mkdtempSync(join(tmpdir(), 'ys-'));
const file = join(dir, 'app.yaml'); writeFileSync(file, yamlWith(70000));
const schema = z.record(z.string(), z.record(z.string(), z.string()));
for (let i = 0; i < 3; i++) { const s = performance.now(); loadConfig({ schema, files: [file], env: {} }); console.log('load', (performance.now() - s).toFixed(0)); }
