/**
 * fetch through the recommended pipeline against a real local server that fails twice, then
 * hangs once, then answers. Run: npm run build && node examples/pipeline-fetch.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compose, throwIfNotOk } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { constant, retry } from 'bulwark/retry';
import { timeout } from 'bulwark/timeout';

let requests = 0;
const server = createServer((_req, res) => {
  requests++;
  if (requests <= 2) {
    res.statusCode = 503;
    res.setHeader('retry-after', '0');
    return res.end('busy');
  }
  if (requests === 3) return; // hangs: the per-attempt timeout aborts it
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ items: ['a', 'b'] }));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/items`;

const retries = retry({ attempts: 5, backoff: constant(100) });
const breaker = circuitBreaker({ name: 'items-api' });
const policy = compose(timeout(5000), retries, breaker, timeout(300));
retries.on('retry', ({ attempt, error, delayMs }) =>
  console.log(`attempt ${attempt} failed (${(error as Error).message}); retrying in ${delayMs} ms`),
);

const body = await policy.execute(async ({ signal }) => {
  const res = throwIfNotOk(await fetch(url, { signal }));
  return res.json();
});
console.log('got', JSON.stringify(body), `after ${requests} requests; breaker ${breaker.state}`);

server.closeAllConnections();
server.close();
