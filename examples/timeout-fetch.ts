/**
 * A fetch that gives up after 500 ms against a server that hangs, then succeeds against one that
 * answers. Run: npm run build && node examples/timeout-fetch.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TimeoutError } from 'bulwark';
import { timeout } from 'bulwark/timeout';

const server = createServer((req, res) => {
  if (req.url === '/hang') return; // never answers
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true }));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const limit = timeout({ ms: 500, name: 'example-api' });
limit.on('timeout', ({ name, ms }) => console.log(`[event] ${name} timed out after ${ms} ms`));

try {
  await limit.execute(({ signal }) => fetch(`${base}/hang`, { signal }));
} catch (err) {
  console.log(err instanceof TimeoutError ? `hang: ${err.message}` : `hang: unexpected ${String(err)}`);
}

const body = await limit.execute(async ({ signal }) => (await fetch(`${base}/ok`, { signal })).json());
console.log('ok:', JSON.stringify(body));

server.closeAllConnections();
server.close();
