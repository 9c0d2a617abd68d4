/**
 * The client of the upstream: every call goes through the recommended pipeline (docs/pipeline.md),
 * and every event of it is told on the timeline.
 */
import { CircuitOpenError, compose, throwIfNotOk } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import type { Logger } from 'bulwark/logger';
import { exponential, retry } from 'bulwark/retry';
import { timeout } from 'bulwark/timeout';
import { LIMITS } from './script.ts';
import type { Stats, Timeline } from './timeline.ts';

export type Outcome = { readonly ok: true; readonly quote: string } | { readonly ok: false; readonly error: string };

export function createClient(options: {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly log: Logger;
  readonly timeline: Timeline;
  readonly stats: Stats;
}) {
  const { baseUrl, apiKey, log, timeline, stats } = options;
  // The key goes in the query string and in a header: both end up in log lines, both come out redacted.
  const url = `${baseUrl}/quote?api_key=${apiKey}`;
  const headers = { authorization: `Bearer ${apiKey}` };

  const retries = retry({
    name: 'upstream-retry',
    attempts: LIMITS.attempts,
    backoff: exponential({ initialMs: 100, factor: 2, maxMs: 400 }),
    maxRetryAfterMs: LIMITS.maxRetryAfterMs,
  });
  const breaker = circuitBreaker({
    name: 'upstream',
    trip: consecutiveFailures(LIMITS.tripAfter),
    openMs: LIMITS.openMs,
  });
  const perAttempt = timeout({ ms: LIMITS.perAttemptMs, name: 'upstream-attempt' });
  const pipeline = compose(timeout({ ms: LIMITS.overallMs, name: 'upstream-call' }), retries, breaker, perAttempt);

  retries.on('retry', ({ attempt, error, delayMs }) => {
    stats.retries++;
    const asked = (error as { headers?: Headers }).headers?.get?.('retry-after');
    const why = asked ? ` (the server asked Retry-After: ${asked} s; capped at ${LIMITS.maxRetryAfterMs} ms)` : '';
    timeline.print(
      'retry',
      `attempt ${attempt} failed: ${describe(error)}; next attempt in ${Math.round(delayMs)} ms${why}`,
    );
  });
  retries.on('giveUp', ({ attempts, reason, error }) => {
    if (error instanceof CircuitOpenError) {
      // attempts === 1 is a refusal, told below; later, the breaker opened under this call.
      if (attempts > 1)
        timeline.print(
          'retry',
          `retries stopped after ${attempts - 1} failed attempt${attempts > 2 ? 's' : ''}: the breaker is open`,
        );
      return;
    }
    log.warn('upstream call failed', { url, attempts, reason, error: describe(error) });
  });
  perAttempt.on('timeout', ({ ms }) => {
    stats.attemptTimeouts++;
    timeline.print('timeout', `attempt cut off after ${ms} ms: the upstream did not answer`);
  });

  let refusedWhileOpen = 0;
  breaker.on('stateChange', ({ from, to, reason }) => {
    const told: Record<string, string> = {
      tripped: `${LIMITS.tripAfter} failures in a row: calls are refused at once for ${LIMITS.openMs} ms`,
      timer: `${LIMITS.openMs} ms passed: the next call is a probe (${refusedWhileOpen} calls refused fast meanwhile)`,
      'probe-succeeded': 'the probe succeeded: traffic flows again',
      'probe-failed': 'the probe failed: open again',
      'probe-timeout': 'the probe took too long: open again',
    };
    if (to === 'open') stats.breakerOpened++;
    if (from === 'half-open') stats.probes++;
    if (from === 'open') refusedWhileOpen = 0;
    timeline.print('breaker', `${from} -> ${to.toUpperCase()}: ${told[reason] ?? reason}`);
    if (reason === 'tripped') log.error('circuit opened: upstream unavailable', { url, headers });
  });

  /** One call to the upstream, never throwing: the outcome says what happened. */
  async function call(): Promise<Outcome> {
    stats.calls++;
    const started = performance.now();
    let reached = false;
    try {
      const quote = await pipeline.execute(async ({ signal }) => {
        reached = true;
        log.debug('calling upstream', { url, headers });
        const res = await fetch(url, { signal, headers });
        const body = await throwIfNotOk(res).text();
        return (JSON.parse(body) as { quote: string }).quote;
      });
      stats.successes++;
      return { ok: true, quote };
    } catch (error) {
      if (!reached && error instanceof CircuitOpenError) {
        stats.refused++;
        if (refusedWhileOpen++ === 0) {
          const when =
            error.retryAfterMs > 0 ? `probe in ${Math.round(error.retryAfterMs)} ms` : 'a probe is in flight';
          timeline.print('call', `refused at once, the upstream was not called (circuit open, ${when})`);
        }
      } else {
        stats.failures++;
        stats.failedCallMs += performance.now() - started;
      }
      return { ok: false, error: describe(error) };
    }
  }

  return { call, pipeline, breaker, perAttempt, url, headers };
}

export type Client = ReturnType<typeof createClient>;

function describe(error: unknown): string {
  if (error instanceof Error)
    return (error as { code?: string }).code
      ? `${error.message} (${(error as { code?: string }).code})`
      : error.message;
  return String(error);
}
