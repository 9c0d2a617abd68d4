/**
 * bulwark/http's cost over real sockets, measured so that a shared machine disturbs it least:
 * `node bench/http-ab.ts` (after a build). Every server (bare and with the parts) and a raw
 * pipelined client run in this one process; batches alternate between the servers, and the
 * process's CPU time per request is compared. The client's share is the same for every server,
 * so the difference between two rows is what the parts cost per request, sockets and all.
 * Autocannon's requests per second (bench/http.ts) move by 20% between runs on a shared machine;
 * this moves less, but still by about 2 us per request there (a part that does nothing per request
 * has read -1.9 us): read it over several runs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { loadShedder, problemHandler, requestDeadline, requestId } from 'bulwark/http';
import Fastify from 'fastify';

const CONNECTIONS = 16;
const PIPELINE = Number(process.env.PIPELINE ?? 8);
const BATCH = CONNECTIONS * 320;
const ROUNDS = Number(process.env.ROUNDS ?? 12);

const hello = (_req: IncomingMessage, res: ServerResponse) =>
  void res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
/** A second shape: headers set one by one, then end() alone writes the head. */
const helloSet = (_req: IncomingMessage, res: ServerResponse) => {
  res.setHeader('content-type', 'text/plain');
  res.end('hello');
};

function parts() {
  return {
    ids: requestId(),
    // A limit this process never reaches: its work per request is the same, and a refusal (a
    // response of another length) would leave the client below counting bytes forever.
    shedder: loadShedder({ maxEventLoopDelayMs: 60_000 }),
    deadline: requestDeadline({ ms: 10_000 }),
    problems: problemHandler(),
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function fastify(withParts: boolean): Promise<number> {
  const app = Fastify();
  if (withParts) {
    const p = parts();
    await app.register(p.ids.fastify);
    await app.register(p.shedder.fastify);
    await app.register(p.deadline.fastify);
    await app.register(p.problems.fastify);
  }
  app.get('/hello', async (_req, reply) => {
    reply.type('text/plain');
    return 'hello';
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

const p = parts();
const SERVERS: Record<string, () => Promise<number>> = {
  'node bare': () => listen(createServer(hello)),
  'node all four': () => listen(createServer(p.ids.node(p.shedder.node(p.deadline.node(p.problems.node(hello)))))),
  'node requestId': () => listen(createServer(p.ids.node(hello))),
  'node requestDeadline': () => listen(createServer(p.deadline.node(hello))),
  'node loadShedder': () => listen(createServer(p.shedder.node(hello))),
  'node problemHandler': () => listen(createServer(p.problems.node(hello))),
  'node-set bare': () => listen(createServer(helloSet)),
  'node-set all four': () =>
    listen(createServer(p.ids.node(p.shedder.node(p.deadline.node(p.problems.node(helloSet)))))),
  'fastify bare': () => fastify(false),
  'fastify all four': () => fastify(true),
};

const REQUESTS = Buffer.from('GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(PIPELINE));

/** A client on CONNECTIONS sockets, each keeping PIPELINE requests in flight; every answer is the same length. */
async function client(port: number): Promise<(total: number) => Promise<void>> {
  const sockets = await Promise.all(
    Array.from(
      { length: CONNECTIONS },
      () =>
        new Promise<Socket>((resolve) => {
          const socket: Socket = connect(port, '127.0.0.1', () => resolve(socket));
        }),
    ),
  );
  const first = sockets[0] as Socket;
  const length = await new Promise<number>((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('hello');
      if (end === -1) return;
      first.off('data', onData);
      resolve(end + 'hello'.length);
    };
    first.on('data', onData);
    first.write('GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
  return (total) =>
    new Promise<void>((resolve) => {
      let received = 0;
      const perSocket = total / CONNECTIONS;
      for (const socket of sockets) {
        let sent = PIPELINE;
        let bytes = 0;
        socket.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          received += chunk.length;
          if (Math.floor(bytes / length) >= sent && sent < perSocket) {
            socket.write(REQUESTS);
            sent += PIPELINE;
          }
          if (received >= total * length) {
            for (const s of sockets) s.removeAllListeners('data');
            resolve();
          }
        });
        socket.write(REQUESTS);
      }
    });
}

const chosen = process.argv[2]?.split(',') ?? Object.keys(SERVERS);
const runs = new Map<string, (total: number) => Promise<void>>();
for (const name of chosen) {
  const make = SERVERS[name];
  if (make === undefined) throw new Error(`unknown server "${name}"; known: ${Object.keys(SERVERS).join(', ')}`);
  runs.set(name, await client(await make()));
}
const cpu = new Map<string, number[]>(chosen.map((name) => [name, []]));
for (const run of runs.values()) for (let i = 0; i < 3; i++) await run(BATCH); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const name of round % 2 === 0 ? chosen : [...chosen].reverse()) {
    const before = process.cpuUsage();
    await (runs.get(name) as (total: number) => Promise<void>)(BATCH);
    const { user, system } = process.cpuUsage(before);
    cpu.get(name)?.push((user + system) / BATCH);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
console.log(
  `\nbulwark/http over real sockets, in one process: ${CONNECTIONS} connections x ${PIPELINE} pipelined GET /hello, ${ROUNDS} alternating batches of ${BATCH}, median`,
);
console.log(line(['server', 'CPU us/req (client + server)', 'above bare', 'above bare, paired']));
console.log(line(['---', '---:', '---:', '---:']));
for (const name of chosen) {
  const bare = cpu.get(`${name.split(' ')[0]} bare`);
  const mine = cpu.get(name) ?? [];
  // Paired: the median of (this batch - the bare batch of the same round), which a drift in the
  // machine's load over the run moves less than the difference of the two medians.
  const paired = bare === undefined ? undefined : median(mine.map((us, i) => us - (bare[i] as number)));
  console.log(
    line([
      name,
      median(mine).toFixed(2),
      bare === undefined ? '-' : (median(mine) - median(bare)).toFixed(2),
      paired === undefined ? '-' : paired.toFixed(2),
    ]),
  );
}
process.exit(0);
