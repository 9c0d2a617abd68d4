/**
 * Health: what reading the status costs (mitata, in-process), and the /health probe under load
 * with one check hanging, bulwark against @godaddy/terminus. The load runs from a second process
 * (autocannon) against a server in a third (bench/health-server.ts), on loopback, bounded in time.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createHealthChecker } from 'bulwark/health';
import type { Comparison, Suite } from './harness.ts';

const checker = createHealthChecker();
checker.register('fast', async () => {});
checker.register('live', async () => {}, { groups: ['liveness'] });
checker.start();
// Let the first runs complete so the snapshots hold results; the loop's timers are unref'ed.
await new Promise((resolve) => setImmediate(resolve));

/** Reads per case: one read costs a few ns, far below the ~200 ns the harness spends awaiting each case. */
const READS = 1000;

export const healthSuite: Suite = {
  name: 'health, reading the status',
  cases: {
    // The harness awaits every case: this is its floor.
    'harness floor (a function returning a constant)': () => 1,
    [`checker.status() x ${READS}`]: () => {
      let last: unknown;
      for (let i = 0; i < READS; i++) last = checker.status();
      return last;
    },
    [`checker.status('liveness') x ${READS}`]: () => {
      let last: unknown;
      for (let i = 0; i < READS; i++) last = checker.status('liveness');
      return last;
    },
  },
};

/** ns per read of each status case: (its time - the harness floor) / reads. */
export function printStatusCost(cases: ReadonlyMap<string, number>): void {
  const floor = cases.get(`${healthSuite.name} :: harness floor (a function returning a constant)`) ?? 0;
  console.log('');
  for (const name of Object.keys(healthSuite.cases).slice(1)) {
    const ns = cases.get(`${healthSuite.name} :: ${name}`);
    if (ns !== undefined)
      console.log(`${name.replace(` x ${READS}`, '')}: ${((ns - floor) / READS).toFixed(1)} ns per read`);
  }
}

/** No anchor reads a status in memory (terminus runs its checks per request): absolute numbers only. */
export const healthComparisons: Comparison[] = [];

export interface LoadRow {
  readonly server: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

const CONNECTIONS = 20;
const SECONDS = 2.5;
const root = join(import.meta.dirname, '..');

function startServer(kind: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(root, 'bench/health-server.ts'), kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`health-server ${kind} exited with ${code}`)));
    child.stdout?.once('data', (chunk: Buffer) => resolve({ child, port: Number(chunk.toString().trim()) }));
  });
}

function autocannon(url: string): Promise<Record<string, unknown>> {
  const bin = join(root, 'node_modules/.bin/autocannon');
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      ['--json', '-c', String(CONNECTIONS), '-d', String(SECONDS), url],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as Record<string, unknown>)),
    );
  });
}

const num = (value: unknown, key: string): number => Number((value as Record<string, unknown>)[key] ?? Number.NaN);

/** Each server in turn, alone on the machine while it is measured. */
export async function measureHealthLoad(): Promise<LoadRow[]> {
  const rows: LoadRow[] = [];
  for (const kind of ['bulwark', 'terminus', 'terminus-fast']) {
    const { child, port } = await startServer(kind);
    try {
      const result = await autocannon(`http://127.0.0.1:${port}/health`);
      rows.push({
        server: kind,
        requestsPerSecond: num(result.requests, 'average'),
        p50Ms: num(result.latency, 'p50'),
        p99Ms: num(result.latency, 'p99'),
        requests: num(result.requests, 'total'),
        non2xx: Number(result.non2xx ?? 0),
        errors: Number(result.errors ?? 0) + Number(result.timeouts ?? 0),
      });
    } finally {
      child.removeAllListeners('exit');
      child.kill('SIGKILL');
    }
  }
  return rows;
}

export function printHealthLoad(rows: LoadRow[]): void {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log('');
  console.log(
    `/health under load, one check hanging: autocannon -c ${CONNECTIONS} -d ${SECONDS} from a second process, loopback`,
  );
  console.log(line(['server', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors']));
  console.log(line(['---', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const r of rows) {
    console.log(
      line([
        r.server,
        r.requestsPerSecond.toFixed(0),
        r.p50Ms.toFixed(1),
        r.p99Ms.toFixed(1),
        String(r.requests),
        String(r.non2xx),
        String(r.errors),
      ]),
    );
  }
  const bulwark = rows.find((r) => r.server === 'bulwark');
  const terminus = rows.find((r) => r.server === 'terminus');
  if (bulwark && terminus) {
    console.log('');
    console.log(
      `bulwark / terminus with the hanging check: ${(bulwark.requestsPerSecond / terminus.requestsPerSecond).toFixed(0)}x the requests/s, p99 ${bulwark.p99Ms} ms vs ${terminus.p99Ms} ms`,
    );
  }
}
