/**
 * Keeping a service under a provider's published limits: 10 requests in any second, and at most
 * 3 requests in flight at once (a local server here, answering 429 past either, each request taking
 * 300 ms). A job sends 30 requests at once: sent as they come, most are refused; through a bulkhead
 * of 3 around a rate limiter set a little under the published rate, every one succeeds, with no 429.
 * Run: npm run build && node examples/provider-rate-limit.ts
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compose, RetryableError } from 'bulwark';
import { bulkhead } from 'bulwark/bulkhead';
import { rateLimit } from 'bulwark/rate-limit';
import { timeout } from 'bulwark/timeout';

// The provider: "10 requests per second", counted over a sliding second as many APIs do, and
// "at most 3 concurrent requests"; each request takes 300 ms.
const PUBLISHED_LIMIT = 10;
const PUBLISHED_CONCURRENCY = 3;
const arrivals: number[] = [];
let inFlight = 0;
let refused = 0;
const server = createServer((_req, res) => {
  const now = performance.now();
  while (arrivals.length > 0 && (arrivals[0] as number) <= now - 1000) arrivals.shift();
  if (arrivals.length >= PUBLISHED_LIMIT || inFlight >= PUBLISHED_CONCURRENCY) {
    refused++;
    res.writeHead(429, { 'retry-after': '1' }).end('slow down');
    return;
  }
  arrivals.push(now);
  inFlight++;
  setTimeout(() => {
    inFlight--;
    res.end('ok');
  }, 300);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;

async function callProvider(signal: AbortSignal): Promise<string> {
  const res = await fetch(url, { signal });
  const body = await res.text();
  if (res.status === 429) throw new RetryableError('provider said 429', { retryAfterMs: 1000 });
  return body;
}

async function job(run: (i: number) => Promise<string>): Promise<{ ok: number; failed: number; ms: number }> {
  const started = performance.now();
  const outcomes = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => run(i)));
  const ok = outcomes.filter((o) => o.status === 'fulfilled').length;
  return { ok, failed: outcomes.length - ok, ms: Math.round(performance.now() - started) };
}

// 1. No limiter: the burst goes out at once and the provider refuses what is over its limit.
const bare = await job(() => callProvider(AbortSignal.timeout(2000)));
console.log(`without a limiter: ${bare.ok} succeeded, ${bare.failed} refused by the provider (429)`);
assert.ok(bare.failed > 0, 'a burst over the published limit is refused');
assert.equal(refused, bare.failed);

// Let the provider's window empty before the second run.
await new Promise((resolve) => setTimeout(resolve, 1100));
refused = 0;

// 2. Through a bulkhead of 3 (the published concurrency), around a limiter a little under the
// published rate: 9 a second, evenly (burst 1), so any second holds at most 9 requests and network
// jitter cannot push one over. The rate limiter is innermost on purpose: a call that got its place
// then waits for its permit, so a burst of places freeing at once cannot bunch requests past the
// rate. Calls wait (for a place, then a permit) instead of failing; each request has a 2 s deadline.
const provider = rateLimit({ name: 'provider', limit: 9, windowMs: 1000, burst: 1, maxWaitMs: 10_000 });
const places = bulkhead({ name: 'provider', limit: PUBLISHED_CONCURRENCY, queue: 100 });
const pipeline = compose(places, provider, timeout({ ms: 2000, name: 'provider' }));
let waited = 0;
provider.on('granted', ({ waitMs }) => {
  if (waitMs > 0) waited++;
});
const limited = await job(() => pipeline.execute(({ signal }) => callProvider(signal)));
console.log(
  `with bulkhead({ limit: 3 }) around rateLimit({ limit: 9, windowMs: 1000, burst: 1 }): ${limited.ok} succeeded, ${refused} refused by the provider, ` +
    `${waited} waited for a permit, done in ${(limited.ms / 1000).toFixed(1)} s`,
);
assert.equal(limited.ok, 30);
assert.equal(refused, 0);
assert.ok(limited.ms >= 3000, 'thirty requests at nine a second take over three seconds');
console.log('rate limit:', provider.stats());
console.log('bulkhead:', places.stats());

server.closeAllConnections();
server.close();
