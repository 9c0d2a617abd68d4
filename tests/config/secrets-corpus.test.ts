/**
 * The shared secrets corpus (tests/logger/secrets.*.jsonl) planted in config files: each record
 * becomes a YAML file and a schema over it. Whether the config is valid (every leaf a string) or
 * invalid (every leaf must be a number, so every setting has an issue), no listed secret appears
 * in the error, in JSON.stringify or util.inspect of the config, in explainConfig, or in a
 * reload's diff; the kept values do survive where the config is shown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, explainConfig, loadConfig, watchConfig } from 'bulwark/config';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type ZodType, z } from 'zod';
import { tempDirs } from './helpers.ts';

interface Case {
  readonly id: number | string;
  readonly record: Record<string, unknown>;
  readonly secrets: readonly string[];
  readonly kept: readonly string[];
}

const cases: Case[] = ['secrets.shared.jsonl', 'secrets.extra.jsonl'].flatMap((name) =>
  readFileSync(join(import.meta.dirname, '../logger', name), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Case),
);

/** The record with every leaf replaced by a plain string, so every setting changes. */
function changed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(changed);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, changed(v)]));
  }
  return 'changed';
}

/** A schema with the record's shape (lists of anything); leaves are `leaf()`. */
function schemaFor(value: unknown, leaf: () => ZodType): ZodType {
  if (Array.isArray(value)) return z.array(leaf());
  if (value !== null && typeof value === 'object') {
    return z.object(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, schemaFor(v, leaf)])));
  }
  return leaf();
}

const files = tempDirs();

describe('secrets corpus planted in config files', () => {
  it('has the shared cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases.map((c) => [c.id, c] as const))('case %s: an invalid config names no secret', (_, c) => {
    const file = files.write('app.yaml', stringify(c.record));
    const schema = schemaFor(c.record, () => z.number());
    let error: unknown;
    try {
      loadConfig({ schema, files: [file], env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = `${(error as Error).message}\n${JSON.stringify((error as ConfigError).issues)}`;
    for (const secret of c.secrets) expect(text, `secret ${secret}`).not.toContain(secret);
    const explained = JSON.stringify(explainConfig({ schema, files: [file], env: {} }));
    for (const secret of c.secrets) expect(explained, `secret ${secret}`).not.toContain(secret);
  });

  it.each(cases.map((c) => [c.id, c] as const))('case %s: a valid config prints no secret', (_, c) => {
    const file = files.write('app.yaml', stringify(c.record));
    const schema = schemaFor(c.record, () => z.unknown());
    const config = loadConfig({ schema, files: [file], env: {} });
    const shown = [
      JSON.stringify(config),
      inspect(config, { depth: 20 }),
      JSON.stringify(explainConfig({ schema, files: [file], env: {} })),
    ];
    for (const text of shown) for (const secret of c.secrets) expect(text, `secret ${secret}`).not.toContain(secret);
    const json = JSON.stringify(config);
    for (const kept of c.kept) expect(json, `kept ${kept}`).toContain(JSON.stringify(kept).slice(1, -1));
  });

  it.each(cases.map((c) => [c.id, c] as const))('case %s: a reload diff shows no secret', async (_, c) => {
    const file = files.write('app.yaml', stringify({ ...c.record, marker: 1 }));
    const schema = z.object({ ...(schemaFor(c.record, () => z.unknown()) as z.ZodObject).shape, marker: z.number() });
    const watcher = watchConfig({ schema, files: [file], env: {}, pollMs: 60_000 });
    try {
      files.write('app.yaml', stringify({ ...(changed(c.record) as object), marker: 2 }));
      const result = await watcher.reload();
      expect(result.applied).toBe(true);
      const text = JSON.stringify(result.changes);
      expect(text).toContain('marker');
      for (const secret of c.secrets) expect(text, `secret ${secret}`).not.toContain(secret);
    } finally {
      await watcher.close();
    }
  });
});
