/**
 * The string scanner skips most rules for most strings: a rule runs only when the one walk over
 * the string saw what every match of the rule has (`=` or `:` for pairs, `--` for flags, `</` for
 * XML, a hint's punctuation and a long enough token run for a hinted shape, a word start for a
 * token prefix, 12 characters for a token or a scheme credential). These properties check that
 * the gates hide nothing: on any text, with secrets of every kind planted anywhere, the gated
 * scan finds exactly what a scan that runs every rule on every string finds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyRules, mayBePlaceholder, NAMED_PLACEHOLDER, PLACEHOLDER } from '../../src/logger/redact/keys.js';
import { AUTH_SCHEMES, GENERIC_PATTERNS } from '../../src/logger/redact/patterns.js';
import { MIN_RUN, type Span, TextScanner } from '../../src/logger/redact/text.js';
import { TOKEN_SHAPES } from '../../src/logger/redact/tokens.js';
import { CORPUS } from './corpus/secrets.js';

const keys = new KeyRules([]);
const gated = new TextScanner(keys, [], '[REDACTED]');
const ungated = new TextScanner(keys, [], '[REDACTED]', true);

function found(spans: Span[] | null): string[] {
  return (spans ?? []).map((s) => `${s.start}-${s.end}:${s.rule}`).sort();
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      strings(item, out);
    }
  }
  return out;
}

/** Every string of the corpus (records, secrets, kept values) and every documented example. */
const SAMPLES = [
  ...new Set([
    ...CORPUS.flatMap((c) => [...strings(c.record), ...c.secrets, ...c.kept]),
    ...TOKEN_SHAPES.map((s) => s.example),
  ]),
];

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const run = (alphabet: string) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 70 }).map((a) => a.join(''));

/** Pieces the gates look at: hints, prefixes, scheme words, separators, runs of token characters. */
const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...GENERIC_PATTERNS.map((p) => p.hint)) },
  { weight: 3, arbitrary: fc.constantFrom(...TOKEN_SHAPES.flatMap((s) => s.prefixes ?? (s.hint ? [s.hint] : []))) },
  { weight: 2, arbitrary: fc.constantFrom(...[...AUTH_SCHEMES].flatMap((w) => [w, w.toUpperCase(), `${w} `])) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      ...[':', '=', '://', '@', '--', '-u ', '</', '<password>', '</password>', ' ', '\t', '\n', '"', "'", '\\'],
      ...['Q~', '~', '.', '/', '?', '&', '-', '_', '{', '}', '${', 'password', 'api_key', 'token', 'DB_PASS'],
      ...['https://', 'redis://:', 'hooks.slack.com/services/', 'slack.com/x?t=', '-us1', 'NRAL', '.atlasv1.'],
      ...[' PRIVATE KEY-----', ' RSA PRIVATE KEY-----', '-----END PRIVATE KEY-----', '1Q~', ':A'],
    ),
  },
  { weight: 4, arbitrary: run(ALNUM) },
  { weight: 2, arbitrary: run('0123456789abcdef') },
  // Runs that `=`, `~` and `.` break: shapes whose matches hold them (Terraform, Azure) have short runs.
  { weight: 2, arbitrary: run(`${ALNUM}_=-`) },
  { weight: 2, arbitrary: run('~.=-_Q1aZ') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);
const text = fc.array(piece, { maxLength: 16 }).map((parts) => parts.join(''));

function same(value: string): void {
  expect(found(gated.scan(value))).toEqual(found(ungated.scan(value)));
}

describe('the scanner gates hide nothing', () => {
  it('on random text built from what the gates look at', () => {
    fc.assert(fc.property(text, same), { numRuns: 4000 });
  });

  it('on random text with a corpus secret or a documented example planted anywhere', () => {
    fc.assert(
      fc.property(text, fc.constantFrom(...SAMPLES), text, (before, sample, after) => {
        same(`${before}${sample}${after}`);
        same(sample);
      }),
      { numRuns: 3000 },
    );
  });

  it('on any string at all', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), same), { numRuns: 2000 });
  });

  it('has, for each token-run bound, a match whose longest run is exactly that bound, and finds it', () => {
    const hex = '0123456789abcdef';
    const witnesses: Record<string, string> = {
      'mailchimp-key': `key ${hex}${hex}-us1 end`,
      'new-relic-license-key': `key ${hex}${hex}0123NRAL end`,
      'telegram-bot-token': `bot 12345:A${'b'.repeat(34)} end`,
      'terraform-cloud-token': `t ABCDEFGHIJKLMN.atlasv1.${'abcdefghi='.repeat(6)} end`,
      'azure-ad-client-secret': `s ~~~1Q~${'~.'.repeat(16)} e`,
      'private-key': '-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----',
      'discord-webhook': `https://discord.com/api/webhooks/1/${'abcdefghij'.repeat(2)}`,
      'google-chat-webhook': 'https://chat.googleapis.com/v1/spaces/A/messages?k=1',
      'slack-webhook': 'https://hooks.slack.com/services/a/b/c/d/e/f/g/h/i/j/k',
      'slack-file-token': 'https://slack.com/a?t=b',
      'teams-webhook': 'https://outlook.office.com/webhook/a',
      'telegram-bot-url': 'https://api.telegram.org/bot1:a/x',
      'zapier-webhook': 'https://hooks.zapier.com/hooks/catch/1/2/3/',
      'user-password-flag': 'x -u a:b y',
    };
    expect(Object.keys(witnesses).sort()).toEqual(Object.keys(MIN_RUN).sort());
    for (const [rule, witness] of Object.entries(witnesses)) {
      const longest = Math.max(...witness.split(/[^A-Za-z0-9_-]+/).map((w) => w.length));
      expect({ rule, longest }).toEqual({ rule, longest: MIN_RUN[rule] });
      expect(found(gated.scan(witness)).some((f) => f.endsWith(`:${rule}`))).toBe(true);
      same(witness);
    }
  });

  it('says a string is plain only when JSON writes it as it is', () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ unit: 'binary', maxLength: 40 })), (value) => {
        gated.scan(value);
        if (gated.plainText) expect(JSON.stringify(value)).toBe(`"${value}"`);
      }),
      { numRuns: 3000 },
    );
  });

  it('finds the secrets of short strings, which are scanned too', () => {
    expect(found(gated.scan('pw=abc1'))).toEqual(['3-7:key:pw']);
    expect(found(gated.scan('redis://:pw@cache'))).toEqual(['9-11:url-password']);
    expect(found(gated.scan('curl -u a:b x'))).toEqual(['10-11:user-password-flag']);
  });

  it('skips the placeholder regexes only for values no placeholder starts like', () => {
    const value = fc.oneof(
      fc.stringMatching(PLACEHOLDER),
      fc.stringMatching(NAMED_PLACEHOLDER),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
    );
    fc.assert(
      fc.property(value, (v) => {
        if (PLACEHOLDER.test(v) || NAMED_PLACEHOLDER.test(v)) expect(mayBePlaceholder(v)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
