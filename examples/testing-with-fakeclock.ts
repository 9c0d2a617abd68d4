/**
 * Unit-testing your own code with bulwark's fakes: a small price client (retry + timeouts + a
 * logger) and its tests, written with node:test. `FakeClock` drives every timeout and backoff, so
 * a test of "gives up after 5 s" takes a few milliseconds; `MemorySink` keeps the log lines to
 * assert on (and to check that no API key was logged). The same works in vitest or jest.
 * Run: npm run build && node examples/testing-with-fakeclock.ts (node:test prints the results;
 * the exit code is 1 if a test fails).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Clock, compose, PermanentError, TimeoutError, throwIfNotOk } from 'bulwark';
import { createLogger, type Logger } from 'bulwark/logger';
import { exponential, retry } from 'bulwark/retry';
import { FakeClock, MemorySink } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';

// ---- the code under test: yours, with its clock, randomness, fetch and logger injectable --------

type Fetch = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

interface PriceClientOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly log: Logger;
  readonly fetch?: Fetch;
  /** Only tests pass these two; production uses the system clock and Math.random. */
  readonly clock?: Clock;
  readonly random?: () => number;
}

function createPriceClient({ baseUrl, apiKey, log, fetch = globalThis.fetch, clock, random }: PriceClientOptions) {
  const retries = retry({
    name: 'prices-retry',
    attempts: 3,
    backoff: exponential({ initialMs: 500 }),
    clock,
    random,
  });
  retries.on('retry', ({ attempt, delayMs, error }) =>
    log.warn('price lookup failed, retrying', { attempt, delayMs, error: (error as Error).message }),
  );
  // 5 s for the whole call, 1 s for each attempt.
  const policy = compose(timeout({ ms: 5000, clock }), retries, timeout({ ms: 1000, clock }));

  return {
    /** The price of `sku` in cents. */
    async fetchPrice(sku: string): Promise<number> {
      return policy.execute(async ({ signal }) => {
        const url = `${baseUrl}/prices/${sku}?api_key=${apiKey}`;
        const res = await fetch(url, { signal });
        if (res.status === 404) throw new PermanentError(`no price for ${sku}`);
        // An HttpError carries status and headers: what bulwark reads to retry and honour Retry-After.
        return ((await throwIfNotOk(res).json()) as { cents: number }).cents;
      });
    },
  };
}

// ---- its tests ------------------------------------------------------------------------------------

const API_KEY = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc';

/** A fake fetch that answers from a script, one entry per call; 'hang' never answers. */
function scriptedFetch(
  ...script: Array<{ status: number; body?: unknown; headers?: Record<string, string> } | 'hang'>
) {
  const calls: Array<{ url: string; signal: AbortSignal }> = [];
  const fetch: Fetch = (url, { signal }) => {
    calls.push({ url, signal });
    const next = script[calls.length - 1] ?? 'hang';
    if (next === 'hang') {
      // Like a real fetch: it only ends when its signal aborts.
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }
    return Promise.resolve(Response.json(next.body ?? {}, { status: next.status, headers: next.headers ?? {} }));
  };
  return { fetch, calls };
}

/** Everything a test needs: a clock at a known date, a sink for the logs, and the client. */
function setup(fetch: Fetch) {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const sink = new MemorySink();
  const log = createLogger({ sink, clock, level: 'debug' });
  // random 0.5 makes full jitter take exactly half of each backoff: 250 ms, then 500 ms.
  const client = createPriceClient({
    baseUrl: 'https://prices.test',
    apiKey: API_KEY,
    log,
    fetch,
    clock,
    random: () => 0.5,
  });
  return { clock, sink, client };
}

test('retries a 503 after its backoff, and logs the retry without the API key', async () => {
  const { fetch, calls } = scriptedFetch({ status: 503 }, { status: 200, body: { cents: 1250 } });
  const { clock, sink, client } = setup(fetch);

  const price = client.fetchPrice('widget');
  await clock.advance(250); // the backoff: no real waiting

  assert.equal(await price, 1250);
  assert.equal(calls.length, 2);
  assert.equal(sink.records.length, 1);
  assert.partialDeepStrictEqual(sink.records[0], {
    time: '2026-01-01T00:00:00.000Z',
    level: 'warn',
    msg: 'price lookup failed, retrying',
    attempt: 1,
    delayMs: 250,
    error: 'HTTP 503', // a Response made in a test has no URL; from a real fetch it names origin and path
  });
  assert.ok(!sink.lines.join('\n').includes(API_KEY));
  assert.equal(clock.pendingTimers, 0, 'no timer left behind');
});

test('gives up on a hung upstream: 1 s per attempt, three attempts, no real waiting', async () => {
  const { fetch, calls } = scriptedFetch('hang', 'hang', 'hang');
  const { clock, client } = setup(fetch);
  const started = performance.now();

  // Attach the expectation before moving time, so the rejection is never unhandled.
  const outcome = assert.rejects(client.fetchPrice('widget'), TimeoutError);
  await clock.advance(1000 + 250 + 1000 + 500 + 1000);
  await outcome;

  assert.equal(calls.length, 3);
  assert.ok(
    calls.every(({ signal }) => signal.aborted),
    'every attempt was aborted, so no request is left open',
  );
  assert.equal(clock.now() - Date.parse('2026-01-01T00:00:00Z'), 3750);
  assert.ok(performance.now() - started < 1000, '3.75 s of fake time took well under a second');
  assert.equal(clock.pendingTimers, 0);
});

test('does not retry a 404', async () => {
  const { fetch, calls } = scriptedFetch({ status: 404 });
  const { clock, sink, client } = setup(fetch);

  await assert.rejects(client.fetchPrice('nothing'), { name: 'PermanentError', message: 'no price for nothing' });
  assert.equal(calls.length, 1);
  assert.deepEqual(sink.lines, []);
  assert.equal(clock.pendingTimers, 0);
});

test('the whole call ends at 5 s, even when the upstream asks for a long wait', async () => {
  // The upstream asks for 4.5 s before the next try; the second attempt would have its own 1 s,
  // but the outer 5 s limit ends the whole call first.
  const { fetch, calls } = scriptedFetch({ status: 503, headers: { 'retry-after-ms': '4500' } }, 'hang');
  const { clock, client } = setup(fetch);

  const outcome = assert.rejects(client.fetchPrice('widget'), { name: 'TimeoutError', timeoutMs: 5000 });
  await clock.advance(4999);
  assert.equal(calls.length, 2, 'the second attempt started after 4.5 s and still runs');
  await clock.advance(1);
  await outcome;
  assert.ok(calls[1]?.signal.aborted);
  assert.equal(clock.pendingTimers, 0);
});
