/**
 * bulwark/http's own cost on real node:http requests and responses, without the network:
 * `node bench/http-response.ts` (after a build). Each request is a real `IncomingMessage` with
 * the raw headers autocannon sends, each response a real `ServerResponse` writing its head and
 * body into a socket that only counts bytes; batches alternate between the setups. Unlike the fake
 * request/response of `bench/http.ts parts`, node:http's own header work runs (where a header
 * set up front cost 0.3 us more than the same header in `writeHead`), and unlike
 * `bench/http-ab.ts` no kernel or client time is in the numbers, so a shared machine moves them
 * less. The tenth percentile of the batches, minus bare's, is the steadiest read under load.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { loadShedder, problemHandler, requestDeadline, requestId } from 'bulwark/http';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;
const hello: Listener = (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
const helloSet: Listener = (_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('hello');
};
const RAW = ['Host', '127.0.0.1:3000', 'User-Agent', 'autocannon', 'Accept', '*/*', 'Connection', 'keep-alive'];
const BATCH = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 30);

const p = {
  ids: requestId(),
  shedder: loadShedder({ maxEventLoopDelayMs: 60_000 }),
  deadline: requestDeadline({ ms: 10_000 }),
  problems: problemHandler(),
};
const all = (l: Listener): Listener => p.ids.node(p.shedder.node(p.deadline.node(p.problems.node(l))));
const SETUPS: Record<string, Listener> = {
  bare: hello,
  'all four': all(hello),
  requestId: p.ids.node(hello),
  requestDeadline: p.deadline.node(hello),
  loadShedder: p.shedder.node(hello),
  problemHandler: p.problems.node(hello),
  'set bare': helloSet,
  'set all four': all(helloSet),
};

let bytes = 0;
const counting = () =>
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
    writev(chunks, done) {
      for (const { chunk } of chunks) bytes += (chunk as Buffer).length;
      done();
    },
  });
const unconnected = new Socket();

/** BATCH requests through `listener`; then, as a server does, each response finishes and closes. */
async function batch(listener: Listener): Promise<void> {
  const responses: ServerResponse[] = [];
  for (let i = 0; i < BATCH; i++) {
    const req = new IncomingMessage(unconnected);
    req.method = 'GET';
    req.url = '/hello';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.httpVersion = '1.1';
    req.rawHeaders = RAW.slice();
    const res = new ServerResponse(req);
    res.assignSocket(counting() as unknown as Socket);
    listener(req, res);
    responses.push(res);
  }
  await new Promise((resolve) => setImmediate(resolve));
  for (const res of responses) {
    res.detachSocket(res.socket as Socket);
    res.emit('close');
  }
}

const names = process.argv[2]?.split(',') ?? Object.keys(SETUPS);
const cpu = new Map<string, number[]>(names.map((name) => [name, []]));
for (const name of names) {
  if (SETUPS[name] === undefined) throw new Error(`unknown setup "${name}"; known: ${Object.keys(SETUPS).join(', ')}`);
  for (let i = 0; i < 20; i++) await batch(SETUPS[name]); // warm-up
}
for (let round = 0; round < ROUNDS; round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    const before = process.cpuUsage();
    await batch(SETUPS[name] as Listener);
    const { user, system } = process.cpuUsage(before);
    cpu.get(name)?.push((user + system) / BATCH);
  }
}
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)] as number;
const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
console.log(
  `\nbulwark/http on real node:http requests and responses, no network: ${ROUNDS} alternating batches of ${BATCH}, CPU us per request`,
);
console.log(line(['setup', 'median', 'above bare (median)', 'above bare (10th percentile)']));
console.log(line(['---', '---:', '---:', '---:']));
for (const name of names) {
  const mine = cpu.get(name) ?? [];
  const bare = cpu.get(name.startsWith('set ') ? 'set bare' : 'bare');
  const cells =
    bare === undefined ? ['-', '-'] : [0.5, 0.1].map((q) => (quantile(mine, q) - quantile(bare, q)).toFixed(2));
  console.log(line([name, quantile(mine, 0.5).toFixed(2), ...cells]));
}
if (bytes === 0) throw new Error('no response was written');
process.exit(0);
