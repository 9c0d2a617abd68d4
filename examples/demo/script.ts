/**
 * The demo's script: what the upstream does when, when the config file is rewritten, and the
 * limits the client works with. Short on purpose: the whole run takes about 13 seconds.
 */

/** How the upstream behaves in a phase (see upstream.ts). */
export type Phase = 'healthy' | 'flaky' | 'down' | 'hanging' | 'recovered';

export const PHASE_DESCRIPTIONS: Record<Phase, string> = {
  healthy: 'answers 200 to everything',
  flaky: 'every other request gets 503, some with Retry-After: 1',
  down: 'every request gets 503',
  hanging: 'accepts requests and never answers',
  recovered: 'answers 200 again',
};

/** A step of the script, `atMs` after the start. */
export type Step =
  | { readonly atMs: number; readonly phase: Phase }
  | { readonly atMs: number; readonly config: 'valid-change' | 'invalid-change' };

export const SCRIPT: readonly Step[] = [
  { atMs: 0, phase: 'healthy' },
  { atMs: 1_500, phase: 'flaky' },
  { atMs: 3_000, config: 'valid-change' },
  { atMs: 4_000, phase: 'down' },
  { atMs: 5_500, config: 'invalid-change' },
  { atMs: 7_000, phase: 'hanging' },
  { atMs: 9_500, phase: 'recovered' },
];

/** When the scripted run stops making calls. */
export const END_MS = 12_500;

/** The limits of the client's pipeline and of the health checks, in ms. */
export const LIMITS = {
  /** The whole call, retries and waits included. */
  overallMs: 1_500,
  /** One attempt. */
  perAttemptMs: 300,
  /** Attempts per call. */
  attempts: 3,
  /** A server's Retry-After is honoured up to this. */
  maxRetryAfterMs: 400,
  /** Failures in a row that open the breaker. */
  tripAfter: 5,
  /** How long the breaker stays open before a probe. */
  openMs: 1_000,
  /** How often the health checks run, and the demo polls /health/ready. */
  healthIntervalMs: 250,
  healthPollMs: 200,
} as const;

/**
 * The secret the client sends. It is planted in the config file, in the request URL and in the
 * Authorization header, and it must never appear in the output: every log line is redacted.
 */
export const API_KEY = 'demo_sk_live_7f3a9c2e1b4d6f8a5c0e';
