/**
 * The serving side on express 5: request ids in every log line, a load shedder that leaves
 * /health alone, a 300 ms deadline whose signal stops the upstream call, and RFC 9457
 * problem+json for every error (an open breaker, a timeout, a 404, a bug). It starts on port 0,
 * calls itself, prints each response and the log lines, checks them, and exits.
 * Run: npm run build && node examples/http-serving.ts
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compose } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { deadlineOf, loadShedder, problemHandler, requestDeadline, requestId } from 'bulwark/http';
import { createLogger } from 'bulwark/logger';
import { timeout } from 'bulwark/timeout';
import express from 'express';

// ---- an upstream that hangs on /slow and fails on /down ------------------------------------------

let upstreamAborted = false;
const upstream = createServer((req, res) => {
  if (req.url === '/slow') {
    res.on('close', () => {
      upstreamAborted = !res.writableFinished; // the caller gave up and closed the connection
    });
    return; // never answers
  }
  if (req.url === '/down') return void res.writeHead(500).end('internal error');
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"sku":"widget","cents":1250}');
});
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

// ---- the service -----------------------------------------------------------------------------------

const lines: Record<string, unknown>[] = [];
const log = createLogger({
  name: 'shop',
  sink: { write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
});
const breaker = circuitBreaker({ name: 'pricing', trip: consecutiveFailures(2), openMs: 30_000 });
breaker.on('stateChange', ({ to }) => log.warn('pricing breaker changed', { to }));
const pricing = compose(breaker, timeout({ ms: 2000, name: 'pricing' }));

async function callUpstream(path: string, signal: AbortSignal): Promise<unknown> {
  return pricing.execute(
    async ({ signal: attempt }) => {
      const res = await fetch(upstreamUrl + path, { signal: attempt });
      if (!res.ok) throw new Error(`upstream ${res.status} with api_key=sk_live_4eC39HqLyjWDarjtT1zdp7dc`);
      return res.json();
    },
    { signal },
  );
}

const shedder = loadShedder({ exempt: ['/health'] });
const app = express();
app.use(requestId().express);
app.use(shedder.express);
app.use(requestDeadline({ ms: 300 }).express);

app.get('/health', (_req, res) => {
  res.send('ok');
});
app.get('/prices/:which', async (req, res) => {
  log.info('pricing', { which: req.params.which });
  res.json(await callUpstream(`/${req.params.which}`, deadlineOf(req)));
});
app.get('/orders/:id', () => {
  throw Object.assign(new Error('no such order'), { status: 404 });
});
app.use(problemHandler({ log }).express);

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// ---- calling it ------------------------------------------------------------------------------------

const seen: Record<string, number> = {};
async function get(path: string, id?: string): Promise<Record<string, unknown> | string> {
  const res = await fetch(base + path, { headers: id === undefined ? {} : { 'x-request-id': id } });
  const text = await res.text();
  seen[path] = res.status;
  const type = res.headers.get('content-type') ?? '';
  const retryAfter = res.headers.get('retry-after');
  console.log(
    `GET ${path} -> ${res.status} [x-request-id ${res.headers.get('x-request-id')}]${retryAfter ? ` Retry-After: ${retryAfter}` : ''}`,
  );
  console.log(`  ${type.split(';')[0]} ${text}`);
  return type.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : text;
}

console.log('-- a call that works');
await get('/prices/widget', 'client-1');
console.log('-- the upstream hangs: at 300 ms the deadline answers 503 and its signal aborts the fetch');
const late = (await get('/prices/slow', 'client-2')) as Record<string, unknown>;
console.log(
  '-- the upstream fails twice: a bare 500 each time (the api key stays in the log, redacted), then the breaker opens',
);
const bug = (await get('/prices/down', 'client-3')) as Record<string, unknown>;
await get('/prices/down', 'client-4');
const open = (await get('/prices/widget', 'client-5')) as Record<string, unknown>;
console.log('-- an error the application marks with a status');
await get('/orders/42');
console.log('-- health is never shed');
await get('/health');

await new Promise((resolve) => server.close(resolve));
shedder.close();
await new Promise((resolve) => upstream.close(resolve));
console.log('-- log lines');
for (const line of lines)
  console.log(`  ${line.level} ${line.msg} requestId=${line.requestId}${line.err ? ' (with the error)' : ''}`);

// The example checks its own outcome, so a change that breaks it fails `npm run check`.
assert.deepEqual(seen, {
  '/prices/widget': 503,
  '/prices/slow': 503,
  '/prices/down': 500,
  '/orders/42': 404,
  '/health': 200,
});
assert.equal(late.code, 'ERR_REQUEST_DEADLINE');
assert.equal(upstreamAborted, true);
assert.deepEqual(Object.keys(bug).sort(), ['code', 'requestId', 'status', 'title', 'type']);
assert.equal(open.code, 'ERR_CIRCUIT_OPEN');
assert.ok(lines.every((line) => typeof line.requestId === 'string'));
assert.ok(!JSON.stringify(lines).includes('sk_live_4eC39HqLyjWDarjtT1zdp7dc'));
