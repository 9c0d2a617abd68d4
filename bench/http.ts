/**
 * bulwark/http under load: `npm run bench:http` (after a build). Servers run in one process
 * (bench/http-server.ts), autocannon in another (bench/http-load.ts), on loopback, one at a time.
 *
 * 0. Each part in process (fake request/response), on real requests and responses without the
 *    network (bench/http-response.ts), then over real sockets with the client in the same process
 *    (bench/http-ab.ts): CPU per request, the least disturbed by a shared machine.
 * 1. Overhead: GET /hello with requestId, loadShedder, requestDeadline and problemHandler all on,
 *    against the bare handler, on node:http and fastify (budget: at most 5% fewer requests/s),
 *    the two servers side by side (bench/http-overhead.ts).
 * 2. Overload: a CPU-bound route flooded at twice the capacity measured just before, without
 *    protection, with bulwark's loadShedder, and (fastify) with @fastify/under-pressure; /health
 *    probed every 50 ms throughout.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { measureHttpOverhead } from './http-overhead.ts';
import { load, startServer, stopServer } from './http-process.ts';
import { SHED } from './http-shed.ts';

const root = join(import.meta.dirname, '..');

async function withServer<T>(framework: string, setup: string, fn: (base: string) => Promise<T>): Promise<T> {
  const { child, port } = await startServer(framework, setup);
  try {
    // A short warm-up, so the JIT has compiled the path before it is measured.
    await load({ url: `http://127.0.0.1:${port}/hello`, connections: 10, seconds: 1 });
    return await fn(`http://127.0.0.1:${port}`);
  } finally {
    stopServer(child);
  }
}

const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

export async function measureHttpOverload(): Promise<void> {
  const OVERLOAD_S = 6;
  console.log(
    `\nbulwark/http overload: GET /cpu (4 ms of CPU each) at 2x its measured capacity for ${OVERLOAD_S} s, open loop (evenly spaced, up to 100 connections);`,
  );
  console.log(
    '/health probed every 50 ms on its own connection. Latency (from when each request was due) p99 of the admitted (200) requests only.',
  );
  console.log(`shedder settings: ${JSON.stringify(SHED)} (under-pressure: the same limits and interval).`);
  console.log(
    line([
      'framework',
      'setup',
      'offered req/s',
      '200s',
      'p99 200 ms',
      'p99 / unloaded',
      '503s',
      'p99 503 ms',
      'health 200',
      'health <= 100 ms',
      'health max ms',
    ]),
  );
  console.log(line(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const framework of (process.env.BENCH_FRAMEWORKS ?? 'node,fastify').split(',')) {
    // Capacity and the unloaded latency, on the unprotected server.
    const { capacity, unloadedP99 } = await withServer(framework, 'cpu', async (base) => {
      const saturated = await load({ url: `${base}/cpu`, connections: 10, seconds: 3 });
      const light = await load({
        url: `${base}/cpu`,
        connections: 1,
        seconds: 3,
        rate: Math.round(saturated.requestsPerSecond / 4),
      });
      return { capacity: saturated.requestsPerSecond, unloadedP99: light.statuses['200']?.p99 ?? Number.NaN };
    });
    console.log(
      line([
        framework,
        `capacity ${capacity.toFixed(0)} req/s, unloaded p99 ${unloadedP99.toFixed(1)} ms`,
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
      ]),
    );
    const setups = framework === 'fastify' ? ['cpu', 'cpu-shed', 'cpu-under-pressure'] : ['cpu', 'cpu-shed'];
    for (const setup of setups) {
      const rate = Math.round(capacity * 2);
      const r = await withServer(framework, setup, (base) =>
        load({ url: `${base}/cpu`, connections: 100, seconds: OVERLOAD_S, rate, probe: `${base}/health` }),
      );
      const ok = r.statuses['200'];
      const shed = r.statuses['503'];
      const name = { cpu: 'none', 'cpu-shed': 'bulwark loadShedder', 'cpu-under-pressure': '@fastify/under-pressure' }[
        setup
      ];
      console.log(
        line([
          framework,
          name ?? setup,
          rate,
          ok?.count ?? 0,
          ok?.p99.toFixed(1) ?? '-',
          ok === undefined ? '-' : `${(ok.p99 / unloadedP99).toFixed(1)}x`,
          shed?.count ?? 0,
          shed?.p99.toFixed(1) ?? '-',
          `${r.probes.ok}/${r.probes.count}`,
          `${r.probes.within100ms}/${r.probes.count}`,
          r.probes.max.toFixed(0),
        ]),
      );
    }
  }
}

/** Each part's own cost per request, in process, on fake request/response objects (no I/O). */
export async function measureHttpParts(): Promise<void> {
  const { EventEmitter } = await import('node:events');
  const { loadShedder, problemHandler, requestDeadline, requestId } = await import('bulwark/http');
  class Res extends EventEmitter {
    headersSent = false;
    writableFinished = true;
    writableEnded = false;
    destroyed = false;
    setHeader() {}
    getHeader() {}
  }
  class Req {
    headers = {};
    url = '/hello';
    method = 'GET';
  }
  type Listener = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
  const cost = (wrap: (l: Listener) => Listener): number => {
    const wrapped = wrap(() => {}) as unknown as (req: Req, res: Res) => void;
    const one = () => {
      const res = new Res();
      wrapped(new Req(), res);
      res.emit('close');
    };
    for (let i = 0; i < 30_000; i++) one();
    const runs: number[] = [];
    for (let k = 0; k < 5; k++) {
      const started = performance.now();
      for (let i = 0; i < 60_000; i++) one();
      runs.push(((performance.now() - started) * 1000) / 60_000);
    }
    return runs.sort((a, b) => a - b)[2] as number;
  };
  const shedder = loadShedder();
  const ids = requestId();
  const deadline = requestDeadline({ ms: 10_000 });
  const problems = problemHandler();
  const floor = cost((l) => l);
  console.log(
    '\nbulwark/http per request, in process (fake req/res, one request at a time, median of 5), us above the floor',
  );
  console.log(line(['part', 'us per request']));
  console.log(line(['---', '---:']));
  const parts: Array<[string, (l: Listener) => Listener]> = [
    ['requestId', (l) => ids.node(l) as Listener],
    ['loadShedder', (l) => shedder.node(l) as Listener],
    ['requestDeadline', (l) => deadline.node(l) as Listener],
    ['problemHandler', (l) => problems.node(l) as Listener],
    ['all four', (l) => ids.node(shedder.node(deadline.node(problems.node(l)))) as Listener],
  ];
  for (const [name, wrap] of parts) console.log(line([name, (cost(wrap) - floor).toFixed(2)]));
  shedder.close();
}

function runBench(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(root, file)], { maxBuffer: 1024 * 1024 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(void console.log(stdout.trimEnd()));
    });
  });
}

/** bench/http-ab.ts in its own process: the parts' cost over real sockets, client in process. */
export function measureHttpSockets(): Promise<void> {
  return runBench('bench/http-ab.ts');
}

/** bench/http-response.ts in its own process: the parts' cost on real requests and responses, no network. */
export function measureHttpResponses(): Promise<void> {
  return runBench('bench/http-response.ts');
}

if (import.meta.main) {
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  const only = process.argv[2]; // 'parts', 'responses', 'sockets', 'overhead' or 'overload' runs one part
  if (only === 'parts' || only === undefined) await measureHttpParts();
  if (only === 'responses' || only === undefined) await measureHttpResponses();
  if (only === 'sockets' || only === undefined) await measureHttpSockets();
  if (only === 'parts' || only === 'responses' || only === 'sockets') process.exit(0);
  if (only !== 'overload') await measureHttpOverhead();
  if (only !== 'overhead') await measureHttpOverload();
}
