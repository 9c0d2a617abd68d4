/**
 * A bulkhead with an adaptive limit in front of a real HTTP upstream that serves 4 requests at a
 * time and queues the rest: the limit starts at 16 and comes down to what the upstream takes,
 * keeping latency near the unloaded one while 32 callers push. Run: npm run build && node examples/bulkhead-adaptive.ts
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BulkheadRejectedError } from 'bulwark';
import { adaptiveLimit, bulkhead } from 'bulwark/bulkhead';

const WORKERS = 4;
const SERVICE_MS = 20;
const RUN_MS = 3_000;

// The upstream: 4 workers, a FIFO queue before them, as a thread pool or a database would have.
let busy = 0;
const waiting: Array<() => void> = [];
const server = createServer((_req, res) => {
  const serve = () => {
    busy++;
    setTimeout(() => {
      busy--;
      res.end('ok');
      waiting.shift()?.();
    }, SERVICE_MS);
  };
  if (busy < WORKERS) serve();
  else waiting.push(serve);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

const limit = adaptiveLimit({ initial: 16, min: 1, max: 64 });
const upstream = bulkhead({ name: 'upstream', limit });

const latencies: number[] = [];
let refused = 0;
const started = performance.now();
const trace: string[] = [];
const sampler = setInterval(() => trace.push(String(upstream.stats().limit)), 250);

async function caller(): Promise<void> {
  while (performance.now() - started < RUN_MS) {
    const t = performance.now();
    try {
      await upstream.execute(async ({ signal }) => (await fetch(url, { signal })).text());
      latencies.push(performance.now() - t);
    } catch (err) {
      if (!(err instanceof BulkheadRejectedError)) throw err;
      refused++;
      // The refusal says when a place should free; come back then.
      await new Promise((resolve) => setTimeout(resolve, err.retryAfterMs));
    }
  }
}
await Promise.all(Array.from({ length: 32 }, caller));
clearInterval(sampler);

latencies.sort((a, b) => a - b);
const p = (q: number) => Math.round(latencies[Math.floor(q * (latencies.length - 1))] ?? 0);
console.log(`limit every 250 ms: ${trace.join(' ')}`);
console.log(
  `${latencies.length} calls served, ${refused} refused at once; latency p50 ${p(0.5)} ms, p99 ${p(0.99)} ms`,
);
console.log(
  `unloaded latency is about ${SERVICE_MS} ms; with a fixed limit of 32 every call would wait ~${(32 / WORKERS) * SERVICE_MS} ms`,
);
console.log(`limit now ${limit.current}; unloaded latency measured ${limit.stats().baselineMs?.toFixed(1)} ms`);

// It came down from 16 towards the upstream's 4 workers.
assert.ok(limit.current < 16, `the limit should have come down from 16, it is ${limit.current}`);
assert.ok(latencies.length > 100, 'calls were served');

server.closeAllConnections();
server.close();
