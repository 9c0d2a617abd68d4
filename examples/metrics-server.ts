/**
 * Prometheus metrics for a pipeline, served on /metrics: the server a scrape would reach. It
 * makes a few calls (some fail), scrapes itself once, prints what Prometheus would see, and exits.
 * Run: npm run build && node examples/metrics-server.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { compose } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { createMetrics } from 'bulwark/metrics';
import { constant, retry } from 'bulwark/retry';
import { timeout } from 'bulwark/timeout';
import { Registry } from 'prom-client';

const registry = new Registry();
const metrics = createMetrics({ registry, labels: { service: 'example' } });

const policy = compose(
  retry({ name: 'inventory-retry', attempts: 2, backoff: constant(5) }),
  circuitBreaker({ name: 'inventory', trip: consecutiveFailures(3), openMs: 1000 }),
  timeout({ ms: 50, name: 'inventory' }),
);
const stop = metrics.observe(policy);

let n = 0;
const flakyDependency = async ({ signal }: { signal: AbortSignal }) => {
  n++;
  if (n % 3 === 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  if (n % 5 === 0) await sleep(100, undefined, { signal }); // hangs past the timeout, which aborts it
  return 'ok';
};

const server = createServer(async (req, res) => {
  if (req.url !== '/metrics') {
    res.statusCode = 404;
    res.end();
    return;
  }
  res.setHeader('Content-Type', registry.contentType);
  res.end(await registry.metrics());
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;

// bulwark's timers are unref'ed: the listening server is what keeps this script alive meanwhile.
for (let i = 0; i < 6; i++) await policy.execute(flakyDependency).catch(() => 'failed');

const scrape = await fetch(url);
console.log(`GET ${url}: ${scrape.status} ${scrape.headers.get('content-type')}`);
const body = await scrape.text();
for (const line of body.split('\n')) {
  if (/^bulwark_(circuit_breaker_(state|calls_total)|retry_|timeouts_total)/.test(line)) console.log(line);
}

stop();
server.closeAllConnections();
server.close();
