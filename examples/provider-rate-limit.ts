/**
 * Keeping a service under a provider's published rate limit. The provider (a local server here)
 * allows 10 requests in any second and answers 429 past it. A job sends 30 requests at once: sent
 * as they come, two thirds are refused; through a rate limiter set a little under the published
 * limit, every one succeeds, spread over three seconds, with no 429.
 * Run: npm run build && node examples/provider-rate-limit.ts
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compose, RetryableError } from 'bulwark';
import { rateLimit } from 'bulwark/rate-limit';
import { timeout } from 'bulwark/timeout';

// The provider: "10 requests per second", counted over a sliding second, as many APIs do.
const PUBLISHED_LIMIT = 10;
const arrivals: number[] = [];
let refused = 0;
const server = createServer((_req, res) => {
  const now = performance.now();
  while (arrivals.length > 0 && (arrivals[0] as number) <= now - 1000) arrivals.shift();
  if (arrivals.length >= PUBLISHED_LIMIT) {
    refused++;
    res.writeHead(429, { 'retry-after': '1' }).end('slow down');
    return;
  }
  arrivals.push(now);
  res.end('ok');
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

// 2. Through a limiter a little under the published limit: 9 a second, evenly (burst 1), so any
// second holds at most 9 requests and network jitter cannot push one over. Calls wait for their
// permit (up to 5 s) instead of failing; each request has its own 2 s deadline.
const provider = rateLimit({ name: 'provider', limit: 9, windowMs: 1000, burst: 1, maxWaitMs: 5000 });
const pipeline = compose(provider, timeout({ ms: 2000, name: 'provider' }));
let waited = 0;
provider.on('granted', ({ waitMs }) => {
  if (waitMs > 0) waited++;
});
const limited = await job(() => pipeline.execute(({ signal }) => callProvider(signal)));
console.log(
  `with rateLimit({ limit: 9, windowMs: 1000, burst: 1 }): ${limited.ok} succeeded, ${refused} refused by the provider, ` +
    `${waited} waited for a permit, done in ${(limited.ms / 1000).toFixed(1)} s`,
);
assert.equal(limited.ok, 30);
assert.equal(refused, 0);
assert.ok(limited.ms >= 3000, 'thirty requests at nine a second take over three seconds');
console.log('stats:', provider.stats());

server.closeAllConnections();
server.close();
