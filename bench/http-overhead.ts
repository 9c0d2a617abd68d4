/**
 * The overhead A/B of bulwark/http (`npm run bench:http overhead`): all four parts against a bare
 * handler, GET /hello, autocannon in second processes, loopback.
 *
 * How, and why this way (decision 0014, "Measured side by side"):
 * - The two servers run at the same time, both pinned to one core, each loaded by its own
 *   autocannon process pinned to the other core. Both are saturated, so the core's scheduler
 *   splits it between them: each one's requests per second is the inverse of its CPU per request,
 *   and whatever the machine's neighbours do hits both alike. Run one after the other, rounds of
 *   the same code differed by 0.6x to 1.3x here; side by side, bare against bare reads 0.98x-1.02x.
 * - Every session starts fresh server processes: a process's state at start can decide its speed
 *   for its whole life. A fastify process with any hook or plugin (an `onRequest` hook that only
 *   calls `done()` is enough) takes a slow path in node's `process.nextTick` (an object literal
 *   defined through V8's runtime): about 3 us more per request. A bare fastify process takes it
 *   only sometimes, so all four are also compared with `noop`, one do-nothing hook, on that path.
 *
 * Without `taskset` or a second core the servers and the load share whatever the OS gives them
 * (printed as "not pinned"): the side-by-side comparison still holds, less steadily.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { load, type Pin, startServer, stopServer } from './http-process.ts';

const SESSIONS = Number(process.env.BENCH_HTTP_SESSIONS ?? 7);
const ROUNDS = 3;
const SECONDS = 2;
const CONNECTIONS = 50;
/**
 * Which setups of bench/http-server.ts to compare, `first:second,...` (default: bare against bare,
 * bare against all four, and a do-nothing middleware against all four). On node:http,
 * `bare:only-ids` and the other `only-` setups show one part alone.
 */
const COMPARISONS = (process.env.BENCH_HTTP_COMPARE ?? 'bare:bare,bare:all,noop:all').split(',').map((pair) => {
  const [a = 'bare', b = 'all'] = pair.split(':');
  const name = a === b ? `A/A: ${a} vs ${b}` : `${b === 'all' ? 'all four' : b} vs ${a}`;
  return [name, a, b] as const;
});
const SERVER = process.env.BENCH_HTTP_SERVER ?? 'bench/http-server.ts';

function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
}
const pinned = canPin();
/** Servers on core 1, their load on core 0, when pinning works. */
const pin = (core: number): Pin => (pinned ? ['taskset', '-c', String(core)] : []);

/** Requests answered by one autocannon run (a process of its own, on the load's core) of `seconds`. */
async function served(url: string, seconds: number): Promise<number> {
  const result = await load({ url, connections: CONNECTIONS, seconds }, pin(0));
  return Object.values(result.statuses).reduce((n, s) => n + s.count, 0);
}

async function cpuUs(base: string): Promise<number> {
  const res = await fetch(`${base}/__cpu`);
  return ((await res.json()) as { cpuUs: number }).cpuUs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

interface Session {
  /** CPU us per request of each server (median of the rounds). */
  readonly us: [number, number];
  /** Second server's capacity relative to the first: CPU per request, first / second (median). */
  readonly cpuRatio: number;
  /** Second server's requests per second / the first's, the same rounds (median). */
  readonly rpsRatio: number;
}

/** One session: fresh processes for `a` and `b`, loaded side by side for ROUNDS rounds. */
async function session(framework: string, a: string, b: string): Promise<Session> {
  const servers = await Promise.all(
    [a, b].map(async (setup) => {
      const { child, port } = await startServer(framework, setup, pin(1), SERVER);
      return { child, base: `http://127.0.0.1:${port}` };
    }),
  );
  try {
    await Promise.all(servers.map((s) => served(`${s.base}/hello`, 1))); // JIT warm-up
    const us: [number[], number[]] = [[], []];
    const cpuRatios: number[] = [];
    const rpsRatios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = await Promise.all(servers.map((s) => cpuUs(s.base)));
      const answered = await Promise.all(servers.map((s) => served(`${s.base}/hello`, SECONDS)));
      const after = await Promise.all(servers.map((s) => cpuUs(s.base)));
      const perRequest = servers.map(
        (_, i) => ((after[i] as number) - (before[i] as number)) / (answered[i] as number),
      );
      us[0].push(perRequest[0] as number);
      us[1].push(perRequest[1] as number);
      cpuRatios.push((perRequest[0] as number) / (perRequest[1] as number));
      rpsRatios.push((answered[1] as number) / (answered[0] as number));
    }
    return { us: [median(us[0]), median(us[1])], cpuRatio: median(cpuRatios), rpsRatio: median(rpsRatios) };
  } finally {
    for (const { child } of servers) stopServer(child);
  }
}

const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

export async function measureHttpOverhead(): Promise<void> {
  console.log(
    `\nbulwark/http overhead: GET /hello, side by side: two fresh server processes ${pinned ? 'pinned to one core' : '(not pinned)'}, each loaded by autocannon -c ${CONNECTIONS} in its own process${pinned ? ' on the other core' : ''},`,
  );
  console.log(
    `${SESSIONS} sessions of ${ROUNDS} rounds x ${SECONDS} s. Capacity ratio: the first server's CPU per request / the second's (what the second serves per second of CPU, relative);`,
  );
  console.log('req/s ratio: the second server / the first, in the same rounds. Medians over sessions, (range).');
  console.log(
    line([
      'framework',
      'comparison',
      'first CPU us/req',
      'second CPU us/req',
      'capacity ratio',
      'capacity ratio range',
      'req/s ratio',
    ]),
  );
  console.log(line(['---', '---', '---:', '---:', '---:', '---', '---:']));
  for (const framework of (process.env.BENCH_FRAMEWORKS ?? 'node,fastify').split(',')) {
    for (const [name, a, b] of COMPARISONS) {
      const sessions: Session[] = [];
      for (let i = 0; i < SESSIONS; i++) sessions.push(await session(framework, a, b));
      const ratios = sessions.map((s) => s.cpuRatio).sort((x, y) => x - y);
      console.log(
        line([
          framework,
          name,
          median(sessions.map((s) => s.us[0])).toFixed(2),
          median(sessions.map((s) => s.us[1])).toFixed(2),
          `**${median(ratios).toFixed(3)}**`,
          `${ratios[0]?.toFixed(3)}-${ratios.at(-1)?.toFixed(3)}`,
          median(sessions.map((s) => s.rpsRatio)).toFixed(3),
        ]),
      );
    }
  }
}
