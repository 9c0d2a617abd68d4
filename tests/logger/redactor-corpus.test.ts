/**
 * bulwark's own corpus (tests/logger/corpus/secrets.ts): at least 300 secrets placed the way
 * applications log them and at least 300 values that must survive, each record logged through
 * the logger. Every secret must be gone from the line and every kept value still in it.
 */
import { createLogger } from 'bulwark/logger';
import { MemorySink } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';
import { CORPUS } from './corpus/secrets.js';

function line(record: Record<string, unknown>): string {
  const sink = new MemorySink();
  createLogger({ sink }).info('corpus', record);
  return sink.lines[0] ?? '';
}

const secrets = new Set(CORPUS.flatMap((c) => c.secrets));
const kept = new Set(CORPUS.flatMap((c) => c.kept));

describe('redaction corpus', () => {
  it('holds at least 300 distinct secrets and 300 distinct values that must survive', () => {
    expect(secrets.size).toBeGreaterThanOrEqual(300);
    expect(kept.size).toBeGreaterThanOrEqual(300);
  });

  it('leaks no secret and censors no kept value', () => {
    const leaked: string[] = [];
    const censored: string[] = [];
    for (const c of CORPUS) {
      const text = line(c.record);
      expect(() => JSON.parse(text), c.id).not.toThrow();
      for (const secret of c.secrets) if (text.includes(secret)) leaked.push(`${c.id}: ${secret}`);
      for (const value of c.kept)
        if (!text.includes(JSON.stringify(value).slice(1, -1))) censored.push(`${c.id}: ${value} in ${text}`);
    }
    expect(leaked).toEqual([]);
    expect(censored).toEqual([]);
  });
});
