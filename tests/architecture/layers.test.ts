import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const NEUTRAL = ['core', 'timeout', 'retry', 'breaker', 'rate-limit', 'fallback', 'hedge', 'testing'];
const builtins = new Set(builtinModules);

function sources(dir: string): string[] {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return entries.filter((f: string) => f.endsWith('.ts')).map((f: string) => join(dir, f));
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
}

describe('layers', () => {
  it('platform-neutral modules import nothing from node:', () => {
    const offenders: string[] = [];
    for (const module of NEUTRAL) {
      for (const file of sources(join(root, 'src', module))) {
        for (const spec of importsOf(file)) {
          if (spec.startsWith('node:') || builtins.has(spec)) offenders.push(`${relative(root, file)} imports ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the bulwark entry point only re-exports platform-neutral modules', () => {
    const allowed = new Set(NEUTRAL.filter((m) => m !== 'testing').map((m) => `./${m}/index.js`));
    const specs = importsOf(join(root, 'src/index.ts'));
    expect(specs.length).toBeGreaterThan(0);
    for (const spec of specs) expect(allowed, spec).toContain(spec);
  });

  it('core imports no other module of bulwark', () => {
    for (const file of sources(join(root, 'src/core'))) {
      for (const spec of importsOf(file)) expect(spec.startsWith('../'), `${file}: ${spec}`).toBe(false);
    }
  });

  it('only metrics imports prom-client or metrics, and metrics imports no primitive at run time', () => {
    const offenders: string[] = [];
    for (const file of sources(join(root, 'src'))) {
      const inMetrics = relative(join(root, 'src'), file).startsWith('metrics');
      const text = readFileSync(file, 'utf8');
      for (const spec of importsOf(file)) {
        if (!inMetrics && (spec === 'prom-client' || spec.includes('/metrics/') || spec.startsWith('./metrics')))
          offenders.push(`${relative(root, file)} imports ${spec}`);
      }
      if (inMetrics) {
        // Value imports of another module would pull its implementation into the bundle.
        for (const m of text.matchAll(
          /^import (?!type )[^;]*?from ['"]\.\.\/(breaker|retry|timeout|rate-limit|fallback|hedge|health|config|logger)\//gm,
        ))
          offenders.push(`${relative(root, file)} imports ${m[1]} at run time`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('config and health use only core and the logger redaction engine', () => {
    const offenders: string[] = [];
    for (const module of ['config', 'health']) {
      for (const file of sources(join(root, 'src', module))) {
        for (const spec of importsOf(file)) {
          if (!spec.startsWith('../')) continue;
          if (spec.startsWith('../core/') || spec.startsWith('../logger/redact/')) continue;
          offenders.push(`${relative(root, file)} imports ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('nothing outside core/clock reads the time or sets a timer itself', () => {
    const offenders: string[] = [];
    for (const file of sources(join(root, 'src'))) {
      if (file.endsWith(join('core', 'clock.ts'))) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\/\/|\*)/.test(line)) return;
          if (/Date\.now\(|performance\.now\(|[^.\w]setTimeout\(|[^.\w]setInterval\(/.test(line)) {
            offenders.push(`${relative(root, file)}:${i + 1}: ${line.trim()}`);
          }
        });
    }
    expect(offenders).toEqual([]);
  });
});
