/**
 * The load generator of the bulwark/http bench, run in its own process so it does not share the
 * server's event loop: `node bench/http-load.ts <json options>`. Closed loop (no `rate`), it
 * drives autocannon; open loop (`rate`), it sends requests evenly spaced in time whether or not
 * answers come (autocannon's rate is a quota per connection per second: each second starts with
 * every connection sending back to back, a burst, not a steady flood). It sorts each response's
 * latency by status, optionally probes /health every 50 ms on its own connection, and prints one
 * JSON result.
 */
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  /**
   * Requests per second, open loop: one every 1000 / rate ms on up to `connections` keep-alive
   * connections, each latency counted from when it was due to be sent (a request waiting for a
   * free connection is late too). Unset: autocannon, as fast as answers come.
   */
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

/** Evenly spaced requests for `seconds`, then up to 10 s for the answers still due. */
async function openLoop(rate: number): Promise<{ requestsPerSecond: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const started = performance.now();
  const interval = 1000 / rate;
  let sent = 0;
  let done = 0;
  let errors = 0;
  const send = (due: number) => {
    const req = request(options.url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        done++;
        record(res.statusCode ?? 0, performance.now() - due);
      });
    });
    req.on('error', () => {
      done++;
      errors++;
    });
    req.end();
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      const end = Math.min(elapsed, options.seconds * 1000);
      while (sent * interval < end) send(started + sent++ * interval);
      if (elapsed >= options.seconds * 1000) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const drainUntil = performance.now() + 10_000;
  while (done < sent && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  agent.destroy();
  return { requestsPerSecond: done / options.seconds, errors: errors + (sent - done) };
}

function record(status: number, ms: number): void {
  const list = byStatus.get(status);
  if (list === undefined) byStatus.set(status, [ms]);
  else list.push(ms);
}

let result: { requestsPerSecond: number; errors: number };
if (options.rate === undefined) {
  const instance = autocannon({ url: options.url, connections: options.connections, duration: options.seconds });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => record(status, ms));
  const r = (await instance) as unknown as { requests: { average: number }; errors: number; timeouts: number };
  result = { requestsPerSecond: r.requests.average, errors: r.errors + r.timeouts };
} else {
  result = await openLoop(options.rate);
}
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
    requestsPerSecond: result.requestsPerSecond,
    errors: result.errors,
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
