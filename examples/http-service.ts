/**
 * A complete service on plain node:http (the same handlers work in express): an API route that
 * calls an upstream through `compose(timeout, retry, breaker, timeout)`; `/health/*` answered by
 * `createHealthChecker().handler()`; `/metrics` from a prom-client `Registry` through
 * `createMetrics`; JSON logs with the upstream's API key redacted; and a graceful shutdown on
 * SIGTERM that drains readiness before the server closes. It starts on port 0, calls itself,
 * prints each response, sends itself SIGTERM, and exits.
 * Run: npm run build && node examples/http-service.ts
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CircuitOpenError, compose, throwIfNotOk } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { createHealthChecker, eventLoopDelayCheck } from 'bulwark/health';
import { createLogger } from 'bulwark/logger';
import { createMetrics } from 'bulwark/metrics';
import { exponential, retry } from 'bulwark/retry';
import { timeout } from 'bulwark/timeout';
import { Registry } from 'prom-client';

const API_KEY = 'pk_live_51Hx9f8d7c6b5a4e3d2c1b0a9'; // would come from bulwark/config

// ---- the upstream: a pricing API that fails once, then works, then goes down -------------------

let upstreamMode: 'flaky-once' | 'up' | 'down' = 'flaky-once';
const upstream = createServer((req, res) => {
  const sku = new URL(req.url ?? '/', 'http://x').pathname.split('/')[2];
  if (upstreamMode === 'down') return void res.writeHead(500).end('internal error');
  if (upstreamMode === 'flaky-once') {
    upstreamMode = 'up';
    return void res.writeHead(503, { 'retry-after': '0' }).end('busy');
  }
  if (sku !== 'widget') return void res.writeHead(404).end('no such sku');
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sku, cents: 1250 }));
});
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

// ---- the service ---------------------------------------------------------------------------------

const logged: string[] = [];
const log = createLogger({
  name: 'prices',
  sink: {
    write(line) {
      logged.push(line);
      console.log(`  log ${line}`);
    },
  },
});

const retries = retry({ name: 'upstream-retry', attempts: 3, backoff: exponential({ initialMs: 20, maxMs: 100 }) });
const breaker = circuitBreaker({ name: 'upstream', trip: consecutiveFailures(3), openMs: 30_000 });
const upstreamPolicy = compose(timeout(2000), retries, breaker, timeout({ ms: 300, name: 'upstream' }));
retries.on('retry', ({ attempt, error, delayMs }) =>
  log.warn('upstream call failed, retrying', { attempt, delayMs, error: (error as Error).message }),
);
breaker.on('stateChange', ({ from, to }) => log.warn('upstream breaker', { from, to }));

async function getPrice(sku: string): Promise<{ sku: string; cents: number }> {
  return upstreamPolicy.execute(async ({ signal }) => {
    const url = `${upstreamUrl}/prices/${encodeURIComponent(sku)}?api_key=${API_KEY}`;
    // An HttpError carries status and headers, what classify and Retry-After handling read; its
    // message and url leave out the query, where the API key is.
    const res = throwIfNotOk(await fetch(url, { signal }));
    return (await res.json()) as { sku: string; cents: number };
  });
}

const health = createHealthChecker({ intervalMs: 100, timeoutMs: 200, logger: log });
const loop = eventLoopDelayCheck();
health.register('eventloop', loop, { groups: ['liveness'] });
// Reads the breaker instead of calling the upstream. Not critical: while the upstream is down,
// readiness warns instead of taking every pod out of the load balancer.
health.register(
  'upstream',
  async () => (breaker.state === 'open' ? { status: 'fail', output: 'circuit breaker "upstream" is open' } : undefined),
  { critical: false },
);
health.start();

const registry = new Registry();
const metrics = createMetrics({ registry, labels: { service: 'prices' } });
const stopMetrics = [metrics.observe(upstreamPolicy), metrics.observe(health)];

const probes = health.handler({ releaseId: '1.0.0' });
const server = createServer((req, res) => probes(req, res, () => void route(req, res)));

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    log.info('request', {
      method: req.method,
      path,
      status,
      ms: Math.round(performance.now() - started),
      authorization: req.headers.authorization, // redacted by the logger's key rules
    });
  };
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
    return;
  }
  const match = /^\/api\/prices\/([\w-]+)$/.exec(path);
  if (!match?.[1]) return send(404, { error: 'not found' });
  try {
    send(200, await getPrice(match[1]));
  } catch (err) {
    if (err instanceof CircuitOpenError) {
      const seconds = String(Math.ceil(err.retryAfterMs / 1000));
      return send(503, { error: 'pricing is unavailable' }, { 'retry-after': seconds });
    }
    if ((err as { status?: number }).status === 404) return send(404, { error: 'no such sku' });
    log.error('price lookup failed', { error: (err as Error).message });
    send(502, { error: 'pricing failed' });
  }
}

await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(`listening on ${base}`);

// SIGTERM: readiness fails at once so the load balancer stops sending traffic, requests are still
// served for drainMs (each response saying `Connection: close`, so no client keeps a socket that is
// about to close), then the server closes and the requests in flight finish. In production make
// drainMs longer than server.keepAliveTimeout (5 s), and leave `exit` at its default (true), which
// ends the process the way SIGTERM would have.
const closed = new Promise<void>((resolve) => {
  health.handleSignals({
    drainMs: 300,
    server,
    exit: false,
    onShutdown: async () => {
      for (const stop of stopMetrics) stop();
      loop.close();
      console.log('server closed');
      resolve();
    },
  });
});

// ---- calling it, as a client and a load balancer would -------------------------------------------

const seen: Record<string, number> = {};
async function get(path: string, show: (body: string) => string = (body) => body): Promise<string> {
  const res = await fetch(base + path, { headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln' } });
  const body = await res.text();
  seen[path] = res.status;
  const retryAfter = res.headers.get('retry-after');
  console.log(`GET ${path} -> ${res.status}${retryAfter ? ` (Retry-After: ${retryAfter})` : ''} ${show(body)}`);
  return body;
}
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const status = (body: string) => {
  const { status, output } = JSON.parse(body) as { status: string; output?: string };
  return output ? `${status}: ${output}` : status;
};

console.log('-- the upstream answers 503 once: the call is retried');
await pause(150); // the first health checks complete
await get('/api/prices/widget');
await get('/api/prices/gizmo');
await get('/health/ready', status);

console.log('-- the upstream goes down: three failures open the breaker, then calls fail fast');
upstreamMode = 'down';
await get('/api/prices/widget');
await get('/api/prices/widget');
await pause(150); // the next health check sees the open breaker
await get('/health/ready', status);
const scrape = await get('/metrics', (body) => `(${body.length} bytes)`);
for (const line of scrape.split('\n')) {
  if (/^bulwark_(circuit_breaker_(state|calls_total)|retry_giveups_total|timeouts_total)\S* [1-9]/.test(line)) {
    console.log(`  ${line}`);
  }
}

console.log('-- SIGTERM: readiness fails at once, liveness stays up, the API still answers while draining');
process.kill(process.pid, 'SIGTERM');
while (!health.draining) await pause(5); // the signal arrives on a later turn of the event loop
await get('/health/ready', status);
await get('/health/live', status);
await get('/api/prices/widget');
await closed;
upstream.close();

// The example checks its own outcome, so a change that breaks it fails `npm run check`.
assert.deepEqual(seen, {
  '/api/prices/widget': 503,
  '/api/prices/gizmo': 404,
  '/health/ready': 503,
  '/health/live': 200,
  '/metrics': 200,
});
assert.match(scrape, /bulwark_circuit_breaker_state\{service="prices",breaker="upstream",state="open"\} 1/);
assert.ok(
  logged.every((line) => !line.includes(API_KEY) && !line.includes('eyJhbGciOiJIUzI1NiJ9')),
  'a secret reached the log',
);
