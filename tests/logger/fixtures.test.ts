/**
 * The regression corpus: the project's shared fixture (kept here as ./secrets.shared.jsonl, and read
 * from ../shared/fixtures/secrets.jsonl too when it sits beside the checkout, in case it grew) plus
 * our own cases in ./secrets.extra.jsonl. For every record, through the logger: no listed secret
 * appears anywhere in the line, and every listed kept value does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from 'bulwark/logger';
import { MemorySink } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';

interface Case {
  readonly id: number | string;
  readonly record: Record<string, unknown>;
  readonly secrets: readonly string[];
  readonly kept: readonly string[];
}

function load(path: string): Case[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Case);
}

const beside = join(import.meta.dirname, '../../../shared/fixtures/secrets.jsonl');
const byId = new Map<string, Case>();
for (const c of [
  ...load(join(import.meta.dirname, 'secrets.shared.jsonl')),
  ...(existsSync(beside) ? load(beside) : []),
  ...load(join(import.meta.dirname, 'secrets.extra.jsonl')),
]) {
  byId.set(String(c.id), c);
}
const cases = [...byId.values()];

describe('secrets corpus', () => {
  it('has cases from both files', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases.map((c) => [c.id, c] as const))('case %s: secrets never reach the line, kept values do', (_, c) => {
    const sink = new MemorySink();
    const log = createLogger({ sink, level: 'info' });
    log.info('request', c.record);
    const line = sink.lines[0] ?? '';
    for (const secret of c.secrets) expect(line, `secret ${secret}`).not.toContain(secret);
    for (const kept of c.kept) expect(line, `kept ${kept}`).toContain(JSON.stringify(kept).slice(1, -1));
    expect(() => JSON.parse(line)).not.toThrow();
  });

  it.each(cases.map((c) => [c.id, c] as const))('case %s: also when the record is the message', (_, c) => {
    const sink = new MemorySink();
    createLogger({ sink }).info(JSON.stringify(c.record));
    // Inside a message only the value shapes apply (no keys to go by): check the shaped ones.
    const line = sink.lines[0] ?? '';
    for (const secret of c.secrets.filter((s) => /^(eyJ|ghp_|AKIA|xox|AIza|npm_|sk_live|-----BEGIN)/.test(s))) {
      expect(line).not.toContain(secret);
    }
  });
});
