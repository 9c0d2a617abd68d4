/**
 * `npm run demo`: a small service in front of a flaky upstream, with every bulwark primitive at
 * work. It prints a timeline and a summary and exits by itself in about 15 s; `--interactive`
 * keeps it running so you can curl it (Ctrl-C to stop). See docs/demo.md.
 * Run: npm run demo  (or: npm run build && node examples/demo/main.ts [--interactive])
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { compose, throwIfNotOk } from 'bulwark';
import { watchConfig } from 'bulwark/config';
import { createHealthChecker, policyCheck } from 'bulwark/health';
import { createLogger } from 'bulwark/logger';
import { createMetrics } from 'bulwark/metrics';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createClient } from './client.ts';
import { API_KEY, END_MS, LIMITS, PHASE_DESCRIPTIONS, SCRIPT } from './script.ts';
import { startService } from './service.ts';
import { createTimeline, emptyStats } from './timeline.ts';
import { startUpstream } from './upstream.ts';

const interactive = process.argv.includes('--interactive');
const timeline = createTimeline();
const stats = emptyStats();
const upstream = await startUpstream(API_KEY);

// --- config: a YAML file in a temp dir, watched; the script rewrites it twice.
const schema = z.object({
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  callsPerSecond: z.number().positive().max(50),
  upstream: z.object({ url: z.url(), apiKey: z.string().min(16) }),
});
const dir = mkdtempSync(join(tmpdir(), 'bulwark-demo-'));
const file = join(dir, 'service.yaml');
const writeConfig = (top: string) =>
  writeFileSync(file, `${top}\nupstream:\n  url: ${upstream.url}\n  apiKey: ${API_KEY}\n`);
writeConfig('logLevel: info\ncallsPerSecond: 5');
const config = watchConfig({ schema, files: [file], envPrefix: 'DEMO_', debounceMs: 50 });

// --- logs: JSON lines through the redactor, shown on the timeline.
const log = createLogger({
  name: 'demo',
  level: config.current.logLevel,
  sink: { write: (line) => timeline.print('log', line) },
});

config.on('change', ({ changes, generation, config: next }) => {
  stats.reloadsApplied++;
  log.level = next.logLevel;
  const what = changes.map((c) => `${c.path} ${JSON.stringify(c.previous)} -> ${JSON.stringify(c.current)}`);
  timeline.print('config', `reload APPLIED (generation ${generation}): ${what.join(', ')}`);
});
config.on('error', (error) => {
  stats.reloadsRefused++;
  timeline.print('config', `reload REFUSED, still running on generation ${config.generation}:`);
  for (const line of error.message.split('\n')) timeline.print('config', `  ${line}`);
});

// --- the client, the health checks, the metrics, the service.
const client = createClient({
  baseUrl: config.current.upstream.url,
  apiKey: config.current.upstream.apiKey,
  log,
  timeline,
  stats,
});
log.info('upstream client ready', { url: client.url, headers: client.headers });

const health = createHealthChecker({ intervalMs: LIMITS.healthIntervalMs, timeoutMs: 500 });
health.register(
  'upstream',
  // An open breaker fails this check at once, without calling the upstream.
  policyCheck(compose(client.breaker, client.perAttempt), async ({ signal }) => {
    const res = throwIfNotOk(await fetch(`${config.current.upstream.url}/ping`, { signal, headers: client.headers }));
    await res.arrayBuffer();
  }),
);
health.register('config', config.healthCheck(), { critical: false });
health.on('change', ({ name, from, to, aggregate }) => {
  if (!aggregate) timeline.print('health', `check "${name}": ${from} -> ${to}`);
});
health.start();

const registry = new Registry();
const metrics = createMetrics({ registry, labels: { service: 'bulwark-demo' } });
const stopMetrics = [metrics.observe(client.pipeline), metrics.observe(health), metrics.observe(config)];

const service = await startService({ client, health, registry });
timeline.print('demo', `upstream on ${upstream.url}, service on ${service.url}, config in ${file}`);

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  for (const until = performance.now() + ms; performance.now() < until; await sleep(25)) if (condition()) return true;
  return condition();
}

// --- the demo watches its own readiness over HTTP, as a load balancer would, and tells each flip.
let lastReady: number | undefined;
let polling = true;
await waitFor(() => health.status('readiness').status === 'pass', 3000);
const poller = (async () => {
  while (polling) {
    const res = await fetch(`${service.url}/health/ready`);
    const body = (await res.json()) as { output?: string };
    if (res.status !== lastReady) {
      stats.readyStatuses.push(res.status);
      const why = body.output ? ` (${body.output})` : '';
      timeline.print(
        'health',
        `GET /health/ready -> ${res.status}${lastReady === undefined ? '' : ` (was ${lastReady})`}${why}`,
      );
      lastReady = res.status;
    }
    await sleep(LIMITS.healthPollMs);
  }
})();

// --- traffic: calls at the configured rate, read from the config before each one.
const inFlight = new Set<Promise<unknown>>();
let loadTimer: NodeJS.Timeout | undefined;
const tick = () => {
  const call = client.call().finally(() => inFlight.delete(call));
  inFlight.add(call);
  loadTimer = setTimeout(tick, 1000 / config.current.callsPerSecond);
};

// --- the script.
await waitFor(() => lastReady === 200, 3000);
const scriptStart = timeline.elapsedMs();
tick();
for (const step of SCRIPT) {
  await sleep(Math.max(0, step.atMs - (timeline.elapsedMs() - scriptStart)));
  if ('phase' in step) {
    upstream.phase = step.phase;
    timeline.print('upstream', `now ${step.phase.toUpperCase()}: ${PHASE_DESCRIPTIONS[step.phase]}`);
  } else if (step.config === 'valid-change') {
    timeline.print('config', `rewriting ${file}: callsPerSecond 5 -> 10`);
    writeConfig('logLevel: info\ncallsPerSecond: 10');
  } else {
    timeline.print('config', `rewriting ${file}: callsPerSecond -3, logLevel "chatty" (both invalid)`);
    writeConfig('logLevel: chatty\ncallsPerSecond: -3');
  }
}
await sleep(Math.max(0, END_MS - (timeline.elapsedMs() - scriptStart)));
clearTimeout(loadTimer);
await Promise.allSettled(inFlight);
await waitFor(() => lastReady === 200, 3000);

// What Prometheus would scrape now.
const scraped = await (await fetch(`${service.url}/metrics`)).text();
timeline.print('demo', 'GET /metrics, the series that moved:');
for (const line of scraped.split('\n')) {
  if (
    /^bulwark_(circuit_breaker_transitions_total|retry_giveups_total|timeouts_total|config_reloads_total)\{.* [1-9]\d*$/.test(
      line,
    )
  ) {
    timeline.print('demo', `  ${line.replace(/service="bulwark-demo",?/, '')}`);
  }
}

if (interactive) {
  tick(); // keep some traffic going so the metrics move
  console.log(`
The demo keeps running (Ctrl-C to stop). Try:
  curl ${service.url}/api/quote
  curl -i ${service.url}/health/ready
  curl ${service.url}/health/detailed
  curl ${service.url}/metrics
  curl -X POST ${upstream.url}/phase/down      (or flaky, hanging, recovered)
  edit ${file}   (callsPerSecond, logLevel: applied or refused)
`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  clearTimeout(loadTimer);
  timeline.print('demo', 'SIGINT: closing everything');
  await Promise.allSettled(inFlight);
}

// --- close everything: nothing may be left running or listening.
polling = false;
await poller;
await health.stop();
for (const stop of stopMetrics) stop();
await config.close();
await service.close();
await upstream.close();
rmSync(dir, { recursive: true, force: true });

// --- the summary.
const seconds = timeline.elapsedMs() / 1000;
const meanFailedMs = stats.failures > 0 ? stats.failedCallMs / stats.failures : LIMITS.perAttemptMs;
const timeSavedMs = Math.round(stats.refused * meanFailedMs);
const flips = stats.readyStatuses.join(' -> ');
console.log(`
summary after ${seconds.toFixed(1)} s
  calls                 ${stats.calls}: ${stats.successes} succeeded, ${stats.failures} failed, ${stats.refused} refused fast
  failures prevented    ${stats.refused} calls refused at once by the open breaker; the upstream never saw them
  time saved            ~${(timeSavedMs / 1000).toFixed(1)} s (${stats.refused} refused calls x ${Math.round(meanFailedMs)} ms, the mean time a failing call took)
  retries               ${stats.retries} (${stats.attemptTimeouts} attempts cut off by the per-attempt timeout)
  breaker               opened ${stats.breakerOpened} times, ${stats.probes} half-open probes
  config reloads        ${stats.reloadsApplied} applied, ${stats.reloadsRefused} refused
  /health/ready         ${flips}
  upstream requests     ${upstream.requests}`);
// For tests/demo/demo.test.ts, which sets BULWARK_DEMO_JSON: a person running the demo reads the
// table above, not this.
if (process.env.BULWARK_DEMO_JSON === '1') {
  console.log(
    `SUMMARY ${JSON.stringify({
      ...stats,
      timeSavedMs,
      upstreamRequests: upstream.requests,
      seconds: Number(seconds.toFixed(2)),
      ports: [upstream.port, service.port],
    })}`,
  );
}
