/**
 * One server for the bulwark/http load bench, run in its own process:
 * `node bench/http-server.ts <framework> <setup>`. It prints its port, then serves until killed.
 *
 * framework: `node` | `fastify`. setup:
 * - `bare`: GET /hello answers "hello" and nothing else runs.
 * - `noop`: the same behind one middleware that does nothing (fastify: an `onRequest` hook). Any
 *   hook or plugin puts a fastify process on a slower path of node's (decision 0014, "Measured
 *   side by side"), which a bare fastify process takes only sometimes: this is bare on that path.
 * - `all`: the same route under requestId, loadShedder, requestDeadline and problemHandler.
 * - `cpu`: GET /cpu burns BURN_MS of CPU; GET /health answers at once. No protection.
 * - `cpu-shed`: the same under bulwark's loadShedder (health exempt).
 * - `cpu-under-pressure` (fastify only): the same under @fastify/under-pressure with the same
 *   utilization limit and sample interval, its status route on /health.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import underPressure from '@fastify/under-pressure';
import { loadShedder, problemHandler, requestDeadline, requestId } from 'bulwark/http';
import Fastify from 'fastify';
import { BURN_MS, SHED } from './http-shed.ts';

const [framework, setup] = process.argv.slice(2);

function burn(): void {
  const until = performance.now() + BURN_MS;
  while (performance.now() < until) {}
}

function all() {
  return {
    ids: requestId(),
    shedder: loadShedder(),
    deadline: requestDeadline({ ms: 10_000 }),
    problems: problemHandler(),
  };
}

// GET /__cpu: this process's CPU time so far, in microseconds. CPU per request is what the
// overhead comparison reads: on a shared machine it moves far less than requests per second.
const cpuRoute = (url: string | undefined): string | undefined => {
  if (url !== '/__cpu') return undefined;
  const { user, system } = process.cpuUsage();
  return JSON.stringify({ cpuUs: user + system });
};

let port: number;
if (framework === 'node') {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const cpu = cpuRoute(req.url);
    if (cpu !== undefined) return void res.end(cpu);
    if (req.url === '/hello') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    if (req.url === '/cpu') {
      burn();
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end('done');
    }
    if (req.url === '/health') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    res.writeHead(404).end();
  };
  let wrapped: (req: IncomingMessage, res: ServerResponse) => void = listener;
  if (setup === 'noop') {
    wrapped = (req, res) => listener(req, res);
  } else if (setup === 'all') {
    const p = all();
    wrapped = p.ids.node(p.shedder.node(p.deadline.node(p.problems.node(listener))));
  } else if (setup?.startsWith('only-')) {
    // One part alone, to see where the overhead goes: only-ids, only-shed, only-deadline, only-problems.
    const p = all();
    const part = {
      'only-ids': p.ids,
      'only-shed': p.shedder,
      'only-deadline': p.deadline,
      'only-problems': p.problems,
    }[setup];
    if (part === undefined) throw new Error(`unknown setup ${setup}`);
    wrapped = part.node(listener);
  } else if (setup === 'cpu-shed') {
    const shedder = loadShedder(SHED);
    wrapped = shedder.node(listener);
    if (process.env.BENCH_TRACE) {
      shedder.on('overload', ({ sample }) => console.error('overload', JSON.stringify(sample)));
      shedder.on('recover', ({ sample, shed }) => console.error('recover', shed, JSON.stringify(sample)));
    }
  } else if (setup !== 'bare' && setup !== 'cpu' && setup !== 'noop') {
    throw new Error(`unknown setup ${setup} for node`);
  }
  const server = createServer(wrapped);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
} else if (framework === 'fastify') {
  const app = Fastify();
  if (setup === 'noop') {
    app.addHook('onRequest', (_request, _reply, done) => done());
  } else if (setup === 'all') {
    const p = all();
    await app.register(p.ids.fastify);
    await app.register(p.shedder.fastify);
    await app.register(p.deadline.fastify);
    await app.register(p.problems.fastify);
  } else if (setup === 'cpu-shed') {
    await app.register(loadShedder(SHED).fastify);
  } else if (setup === 'cpu-under-pressure') {
    await app.register(underPressure, {
      maxEventLoopUtilization: SHED.maxEventLoopUtilization,
      maxEventLoopDelay: SHED.maxEventLoopDelayMs,
      sampleInterval: SHED.sampleIntervalMs,
      retryAfter: 1,
      exposeStatusRoute: '/health',
    });
  } else if (setup !== 'bare' && setup !== 'cpu' && setup !== 'noop') {
    throw new Error(`unknown setup ${setup} for fastify`);
  }
  app.get('/__cpu', async () => cpuRoute('/__cpu'));
  app.get('/hello', async (_req, reply) => {
    reply.type('text/plain');
    return 'hello';
  });
  app.get('/cpu', async (_req, reply) => {
    burn();
    reply.type('text/plain');
    return 'done';
  });
  if (setup !== 'cpu-under-pressure') {
    app.get('/health', async (_req, reply) => {
      reply.type('text/plain');
      return 'ok';
    });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
} else {
  throw new Error(
    `usage: node bench/http-server.ts node|fastify bare|all|cpu|cpu-shed|cpu-under-pressure; got ${framework}`,
  );
}
console.log(String(port));
