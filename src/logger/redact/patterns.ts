/**
 * Secret shapes found inside strings: in a message, an error, a URL, a header. Each pattern
 * names what it found and which part of the match is the secret; the rest of the string stays.
 */

/** A secret shape: `regex` finds it; `secretGroup` (default 0, the whole match) is what is censored. */
export interface SecretPattern {
  /** Names the rule in the censor's context, e.g. `'github-token'`. */
  readonly name: string;
  /** Finds the shape. The `g` flag is added if missing. */
  readonly regex: RegExp;
  /** Which capture group is the secret (default 0, the whole match). */
  readonly secretGroup?: number | undefined;
  /**
   * Lower-case substrings one of which every match contains; the regex runs only when the
   * lower-cased string has one. Leave unset to always run it.
   */
  readonly hints?: readonly string[] | undefined;
}

/** The built-in shapes, most specific first. */
export const BUILTIN_PATTERNS: readonly SecretPattern[] = [
  {
    name: 'private-key',
    hints: ['-----begin'],
    regex: /-----BEGIN[A-Z ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY( BLOCK)?-----|$)/g,
  },
  { name: 'jwt', hints: ['eyj'], regex: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{8,}/g },
  { name: 'url-password', hints: ['://'], regex: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]+:([^\s@/]+)@/gi, secretGroup: 1 },
  {
    name: 'bearer',
    hints: ['bearer', 'basic', 'token', 'digest'],
    regex: /\b(?:Bearer|Basic|Token|Digest)\s+([A-Za-z0-9._~+/=-]{8,})/gi,
    secretGroup: 1,
  },
  {
    name: 'aws-access-key-id',
    hints: ['akia', 'asia', 'abia', 'acca'],
    regex: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
  },
  {
    name: 'github-token',
    hints: ['gh', 'github_pat_'],
    regex: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g,
  },
  { name: 'gitlab-token', hints: ['glpat-'], regex: /\bglpat-[A-Za-z0-9_-]{20,}\b/g },
  { name: 'stripe-key', hints: ['k_live_', 'k_test_'], regex: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { name: 'slack-token', hints: ['xox'], regex: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { name: 'google-api-key', hints: ['aiza'], regex: /\bAIza[0-9A-Za-z_-]{30,}\b/g },
  { name: 'npm-token', hints: ['npm_'], regex: /\bnpm_[A-Za-z0-9]{30,}\b/g },
  { name: 'sendgrid-key', hints: ['sg.'], regex: /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\b/g },
  { name: 'openai-anthropic-key', hints: ['sk-'], regex: /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}\b/g },
];

/** Scheme words a `name: value` pair may start with; the bearer pattern handles those. */
export const AUTH_SCHEMES = /^(?:bearer|basic|token|digest)$/i;

/**
 * A cheap test that a string may hold one of the built-in shapes; the patterns themselves run only
 * when it passes, so a clean log message costs one regex test.
 */
export const PREFILTER =
  /eyJ|bearer|basic|token|digest|:\/\/[^\s/@]+:[^\s@/]*@|-----BEGIN|AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|glpat-|k_live_|k_test_|xox[abposr]-|AIza|npm_|SG\.|sk-/i;
