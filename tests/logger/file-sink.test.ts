/**
 * Several processes append to one file through fileSink at once: every line must come out whole
 * and valid. The children load a bundle of bulwark/logger built here from the sources.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSink } from 'bulwark/logger';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-file-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fileSink', () => {
  it('keeps every line whole when 4 processes append 2,000 lines each at once', async () => {
    const bundle = join(dir, 'logger.mjs');
    buildSync({
      entryPoints: [join(import.meta.dirname, '../../src/logger/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'silent',
    });
    const file = join(dir, 'audit.jsonl');
    const script = `
      const { createLogger, fileSink } = await import(${JSON.stringify(bundle)});
      const log = createLogger({ sink: fileSink(${JSON.stringify(file)}), name: 'w' + process.argv[1] });
      const filler = 'x'.repeat(3000);
      for (let i = 0; i < 2000; i++) log.info('audit', { i, filler, password: 'never' });
    `;
    const runs = Array.from(
      { length: 4 },
      (_, worker) =>
        new Promise<number | null>((resolve, reject) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script, String(worker)], {
            stdio: 'inherit',
          });
          child.on('error', reject);
          child.on('exit', resolve);
        }),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(8000);
    const perWriter = new Map<string, number>();
    for (const line of lines) {
      const record = JSON.parse(line) as { name: string; password: string };
      expect(record.password).toBe('[REDACTED]');
      perWriter.set(record.name, (perWriter.get(record.name) ?? 0) + 1);
    }
    expect([...perWriter.values()]).toEqual([2000, 2000, 2000, 2000]);
  });

  it('refuses a bad path and fails writes after close', () => {
    expect(() => fileSink('')).toThrow('fileSink: expected a file path; got "" (string)');
    const sink = fileSink(join(dir, 'closed.jsonl'));
    sink.close?.();
    expect(() => sink.write('{}')).toThrow(/is closed/);
  });
});
