/**
 * The docs harness (scripts/check-docs.mjs) reads blocks and joins a guide's steps into one
 * program as a reader pasting them would: these are the rules it must keep, so an error in a
 * guide is reported at the guide's own line.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blocksOf, collect, joinProgram, programMode } from '../../scripts/docs/blocks.mjs';

const guide = [
  '# Guide', //                                             1
  '<!-- docs-test: program runnable env APP_PORT=0 -->', // 2
  '```ts', //                                               3
  "import { compose, throwIfNotOk } from 'bulwark';", //    4
  'const a = compose();', //                                5
  '```', //                                                 6
  '```yaml file=config/app.yaml', //                        7
  'port: 1', //                                             8
  '```', //                                                 9
  '```ts', //                                               10
  'import {', //                                            11
  '  compose,', //                                          12
  '  retryAfterMs,', //                                     13
  "} from 'bulwark';", //                                   14
  'console.log(a, retryAfterMs, throwIfNotOk);', //         15
  '```', //                                                 16
].join('\n');

describe('docs harness', () => {
  it('reads fences with their language, flags and line', () => {
    const blocks = blocksOf(guide);
    expect(blocks.map((b) => [b.lang, b.flags, b.line])).toEqual([
      ['ts', [], 3],
      ['yaml', ['file=config/app.yaml'], 7],
      ['ts', [], 10],
    ]);
    expect(() => blocksOf('```ts\nnever closed')).toThrow(/line 1: a code fence is never closed/);
  });

  it('reads the program marker and its environment', () => {
    expect(programMode(guide)).toEqual({ run: true, env: { APP_PORT: '0' } });
    expect(programMode('<!-- docs-test: program -->')).toEqual({ run: false, env: {} });
    expect(programMode('no marker')).toBeUndefined();
  });

  it('joins steps, dropping names an earlier step imported, every line kept in place', () => {
    const ts = blocksOf(guide).filter((b) => b.lang === 'ts');
    const { code, map } = joinProgram(ts);
    const lines = code.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      "import { compose, throwIfNotOk } from 'bulwark';",
      'const a = compose();',
      "import { retryAfterMs } from 'bulwark';",
      '',
      '',
      '',
      'console.log(a, retryAfterMs, throwIfNotOk);',
    ]);
    // Line 7 of the program is line 15 of the guide; the import spread over 11..14 maps to them.
    expect(map.slice(0, 7)).toEqual([4, 5, 11, 12, 13, 14, 15]);
  });

  it('finds every ts block of the real docs, and no fence without a language', () => {
    const { checks, problems } = collect(join(import.meta.dirname, '../..'));
    expect(problems).toEqual([]);
    expect(checks.some((c) => c.source === 'README.md' && c.run)).toBe(true);
    expect(checks.find((c) => c.id === 'docs-getting-started.program')?.files.map((f) => f.path)).toEqual([
      'config/app.yaml',
    ]);
  });
});
