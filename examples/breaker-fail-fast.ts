/**
 * A breaker in front of a dependency that goes down and comes back: it opens, fails fast while
 * open (no request reaches the server), probes, and closes. Run: npm run build && node examples/breaker-fail-fast.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CircuitOpenError, throwIfNotOk } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';

let healthy = false;
let reached = 0;
const server = createServer((_req, res) => {
  reached++;
  res.statusCode = healthy ? 200 : 503;
  res.end(healthy ? 'ok' : 'down');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

const breaker = circuitBreaker({ name: 'dependency', trip: consecutiveFailures(3), openMs: 500 });
breaker.on('stateChange', ({ from, to, reason }) => console.log(`breaker: ${from} -> ${to} (${reason})`));

async function call(): Promise<string> {
  try {
    return await breaker.execute(async ({ signal }) => {
      const res = throwIfNotOk(await fetch(url, { signal }));
      return res.text();
    });
  } catch (err) {
    return err instanceof CircuitOpenError ? `refused, retry in ${Math.round(err.retryAfterMs)} ms` : String(err);
  }
}

for (let i = 0; i < 6; i++) console.log(`call ${i + 1}: ${await call()}`);
console.log(`the server saw ${reached} requests for 6 calls`);
healthy = true;
await new Promise((resolve) => setTimeout(resolve, 500));
console.log(`after 500 ms: ${await call()}; state ${breaker.state}`);

server.closeAllConnections();
server.close();
