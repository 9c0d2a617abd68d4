/**
 * A service with health probes: a database check that hangs, an event-loop check, heap use, and a
 * dependency behind a circuit breaker. The probes answer at once while the database hangs; then
 * SIGTERM-style shutdown drains: readiness fails, liveness stays up, the server closes.
 * Run: npm run build && node examples/health-server.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { createHealthChecker, eventLoopDelayCheck, heapCheck, policyCheck } from 'bulwark/health';

const health = createHealthChecker({ intervalMs: 200, timeoutMs: 100 });
health.on('change', ({ name, from, to }) => console.log(`change: ${name} ${from} -> ${to}`));

let dbHangs = true;
health.register('db', (signal) =>
  dbHangs
    ? new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
    : Promise.resolve(),
);
const loop = eventLoopDelayCheck();
health.register('eventloop', loop);
health.register('heap', heapCheck(), { critical: false });
const payments = circuitBreaker({ name: 'payments', trip: consecutiveFailures(1), openMs: 60_000 });
await payments
  .execute(() => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })))
  .catch(() => {});
health.register(
  'payments',
  policyCheck(payments, () => fetch('http://127.0.0.1:9/never-called')),
  { critical: false },
);
health.start();

const probes = health.handler({ releaseId: '1.0.0' });
const server = createServer((req, res) =>
  probes(req, res, () => {
    res.end('hello from the app\n');
  }),
);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function probe(path: string): Promise<void> {
  const started = performance.now();
  const res = await fetch(base + path);
  const body = await res.text();
  const ms = (performance.now() - started).toFixed(1);
  console.log(`GET ${path} -> ${res.status} in ${ms} ms: ${body.length > 160 ? `${body.slice(0, 160)}...` : body}`);
}

await new Promise((resolve) => setTimeout(resolve, 150)); // the first runs complete (db times out)
console.log('-- the database hangs:');
await probe('/health');
await probe('/health/live');
await probe('/health/ready');

dbHangs = false;
await new Promise((resolve) => setTimeout(resolve, 300));
console.log('-- the database is back:');
await probe('/health');
await probe('/');

console.log('-- shutdown: drain for 300 ms');
const drained = health.shutdown({ drainMs: 300 });
await probe('/health');
await probe('/health/live');
await drained;
loop.close();
server.close();
console.log('drained; server closed');
