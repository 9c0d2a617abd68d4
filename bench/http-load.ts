/**
 * The load generator of the bulwark/http bench, run in its own process so it does not share the
 * server's event loop: `node bench/http-load.ts <json options>`. It drives autocannon, sorts each
 * response's latency by status, optionally probes /health every 50 ms on its own connection, and
 * prints one JSON result.
 */
import { request } from 'node:http';
import autocannon from 'autocannon';

interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  /** Requests per second over all connections (open loop); unset: as fast as answers come. */
  readonly rate?: number;
  /** Probe this URL every 50 ms during the run. */
  readonly probe?: string;
}

const options = JSON.parse(process.argv[2] as string) as LoadOptions;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function probeOnce(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end();
  });
}

const byStatus = new Map<number, number[]>();
const probes: { status: number; ms: number }[] = [];
let probing = options.probe !== undefined;
const prober = (async () => {
  while (probing) {
    probes.push(await probeOnce(options.probe as string));
    await new Promise((r) => setTimeout(r, 50));
  }
})();

const instance = autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.seconds,
  ...(options.rate === undefined ? {} : { overallRate: options.rate }),
});
instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  const list = byStatus.get(status);
  if (list === undefined) byStatus.set(status, [ms]);
  else list.push(ms);
});
const result = (await instance) as unknown as { requests: { average: number }; errors: number; timeouts: number };
probing = false;
await prober;

const statuses: Record<string, { count: number; p50: number; p99: number }> = {};
for (const [status, list] of byStatus) {
  list.sort((a, b) => a - b);
  statuses[status] = { count: list.length, p50: percentile(list, 50), p99: percentile(list, 99) };
}
const probeMs = probes.map((p) => p.ms).sort((a, b) => a - b);
console.log(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    errors: result.errors + result.timeouts,
    statuses,
    probes: {
      count: probes.length,
      ok: probes.filter((p) => p.status === 200).length,
      within100ms: probes.filter((p) => p.status === 200 && p.ms <= 100).length,
      p99: percentile(probeMs, 99),
      max: probeMs[probeMs.length - 1] ?? Number.NaN,
    },
  }),
);
