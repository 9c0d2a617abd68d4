// Four real processes share a rate limit and a breaker while Redis misbehaves in every way the
// issue names: scripts flushed, a key overwritten, FLUSHALL, the server stopped and restarted,
// every reply delayed by 200 ms. No call may wait past the deadline, fail because of Redis, or
// leave anything hanging (each replica must exit by itself).
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ownRedis, redisUrl, testPrefix } from '../helpers/redis.js';
import { runReplicas } from './processes.js';
import { delayProxy } from './proxy.js';

const url = redisUrl();

interface FaultResult {
  maxMs: number;
  granted: number;
  refused: number;
  errors: string[];
  events: string[];
  mode: string;
  breaker: string;
}

describe.skipIf(url === undefined)('replicas while Redis fails', () => {
  const server = ownRedis(6392);
  afterAll(() => server.stop());

  it('no call waits past commandTimeoutMs plus a few ms, none fails because of Redis, all share again at the end', async () => {
    await server.start();
    const proxy = await delayProxy(server.port);
    const admin = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    admin.on('error', () => {});
    const prefix = testPrefix('faults');
    const commandTimeoutMs = 50;
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    const log: string[] = [];
    const onStart = (startAt: number) => {
      const at = (ms: number, what: string, fault: () => unknown) =>
        timers.push(
          setTimeout(
            async () => {
              log.push(what);
              await fault();
            },
            startAt + ms - (performance.timeOrigin + performance.now()),
          ),
        );
      at(800, 'SCRIPT FLUSH', () => admin.script('FLUSH'));
      at(1300, 'key overwritten with a string', () => admin.set(`${prefix}rl:provider`, 'not a number'));
      at(1800, 'FLUSHALL', () => admin.flushall());
      at(2300, 'redis-server stopped', () => server.stop());
      at(3300, 'redis-server started', () => server.start());
      at(4300, 'replies delayed 200 ms', () => proxy.setDelay(200));
      at(5300, 'replies on time', () => proxy.setDelay(0));
    };
    let results: FaultResult[];
    try {
      results = await runReplicas<FaultResult>(
        [0, 1, 2, 3].map((index) => ({
          kind: 'faults',
          index,
          redisUrl: `redis://127.0.0.1:${proxy.port}`,
          prefix,
          dependency: '',
          runMs: 7000,
          commandTimeoutMs,
        })),
        40_000,
        onStart,
      );
    } finally {
      for (const t of timers) clearTimeout(t);
      admin.disconnect();
      await proxy.close();
    }
    expect(log).toHaveLength(7);
    const events = new Set(results.flatMap((r) => r.events));
    console.log(
      `slowest call per replica (ms): ${results.map((r) => r.maxMs.toFixed(1)).join(' ')}; events: ${[...events].join(', ')}`,
    );
    // None failed because of Redis; each got permits and refusals all along.
    expect(results.flatMap((r) => r.errors)).toEqual([]);
    for (const r of results) expect(r.granted).toBeGreaterThan(0);
    // The deadline held. "A few ms" is generous here: the test machine is shared, and a timer
    // fires late by however long the event loop was not scheduled.
    for (const r of results) expect(r.maxMs).toBeLessThan(commandTimeoutMs + 40);
    // Each fault was seen and said: reloads, bad data, the switch to local and back.
    expect(events).toContain('scriptReloaded');
    expect(events).toContain('badData');
    expect([...events].some((e) => e.startsWith('fallback:'))).toBe(true);
    expect(events).toContain('recovered');
    // Shared again by itself at the end, and the breakers (whose calls all succeeded) never opened.
    for (const r of results) expect(r.mode).toBe('shared');
    for (const r of results) expect(r.breaker).toBe('closed');
  }, 60_000);
});
