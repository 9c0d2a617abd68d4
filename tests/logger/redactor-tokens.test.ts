/**
 * The provider token table (src/logger/redact/tokens.ts): every row cites its source, and its
 * example is found by that row's rule, alone, in a sentence, in JSON and under a harmless key.
 */
import { createRedactor } from 'bulwark/logger';
import { describe, expect, it } from 'vitest';
import { TOKEN_SHAPES } from '../../src/logger/redact/tokens.js';

const r = createRedactor();

describe('provider token table', () => {
  it('has one row per rule name, each with a source and a way to be found', () => {
    const names = TOKEN_SHAPES.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const shape of TOKEN_SHAPES) {
      expect(shape.source, shape.name).toMatch(/https?:\/\//);
      expect(shape.prefixes !== undefined || shape.hint !== undefined, shape.name).toBe(true);
      for (const prefix of shape.prefixes ?? []) expect(prefix.length, shape.name).toBeGreaterThanOrEqual(2);
      if (shape.hint !== undefined) expect(shape.example, shape.name).toContain(shape.hint);
      // The scanner skips its word walk below 12 characters: no documented token is that short.
      if (shape.prefixes !== undefined) expect(shape.example.length, shape.name).toBeGreaterThanOrEqual(16);
    }
    expect(TOKEN_SHAPES.length).toBeGreaterThanOrEqual(80);
  });

  it.each(TOKEN_SHAPES.map((s) => [s.name, s] as const))('%s: its example is found by its rule', (name, shape) => {
    const token = shape.example;
    for (const text of [token, `deploying with ${token} now`, `{"value":"${token}"}`, `(${token})`]) {
      expect(r.explain({ note: text }), text).toContainEqual({ path: ['note'], rule: name });
      const out = r.redactString(text);
      if (shape.secretGroup === undefined) expect(out, text).not.toContain(token);
      else expect(out, text).toContain('[REDACTED]');
    }
  });

  it('keeps what the providers document as public', () => {
    for (const value of [
      'pk_live_51HxExampleExampleExample0000',
      'pk.eyJ1IjoiYWNtZSIsImEiOiJjbHgwIn0.aBcDeFgHiJkLmNoPqRsTuV',
      'AKIA-not-a-key',
      'hf_short',
      'keyboard-layout',
    ]) {
      expect(r.redactString(`value ${value} end`)).toBe(`value ${value} end`);
    }
  });
});
