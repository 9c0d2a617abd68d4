// Three replicas share one provider limit through Redis: `node examples/redis-shared-limit.ts`.
// It starts its own redis-server on 127.0.0.1:6393 (Debian's package; or set REDIS_URL to use
// yours), forks itself three times, and each replica calls the "provider" as fast as it may for
// three seconds. Alone, each would take the whole limit; shared, all three together stay within
// it. Then it stops everything it started. See docs/redis.md.

import assert from 'node:assert/strict';
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimitedError } from 'bulwark';
import { rateLimit } from 'bulwark/rate-limit';
import { redisStore } from 'bulwark/redis';
import { Redis } from 'ioredis';

const LIMIT = 30; // the provider allows 30 calls a second to the whole company
const RUN_MS = 3000;

async function replica(url: string, name: string): Promise<number> {
  const client = new Redis(url);
  await client.ping();
  // While Redis is away each replica takes 30 / 3 alone. A deadline generous for a busy machine.
  const store = redisStore({ client, replicas: 3, commandTimeoutMs: 100 });
  store.on('fallback', ({ reason }) => console.log(`${name}: Redis ${reason}, deciding alone`));
  const provider = rateLimit({ name: 'provider', limit: LIMIT, windowMs: 1000, burst: 5, store });
  let calls = 0;
  // The three start together: each says it is connected, the parent answers with one start time.
  const started = new Promise<number>((resolve) => process.once('message', (at) => resolve(Number(at))));
  process.send?.('ready');
  const startAt = await started;
  await sleep(Math.max(0, startAt - Date.now()));
  while (Date.now() < startAt + RUN_MS) {
    try {
      await provider.execute(async () => {
        calls++; // here the real call to the provider
      });
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      await sleep(err.retryAfterMs); // come back exactly when a permit is due
    }
  }
  client.disconnect();
  return calls;
}

async function startRedis(): Promise<{ url: string; stop: () => void }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => {} };
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    console.log('redis-server is not installed: apt-get install redis-server, or set REDIS_URL');
    process.exit(process.env.CI ? 1 : 0);
  }
  const port = 6393;
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.flushall(); // this server is the example's own
      break;
    } catch (err) {
      if (attempt > 100) throw err;
      await sleep(20);
    } finally {
      probe.disconnect();
    }
  }
  return { url, stop: () => server.kill('SIGKILL') };
}

if (process.argv[2] === 'replica') {
  const calls = await replica(process.argv[3] as string, process.argv[4] as string);
  process.send?.(calls, () => process.disconnect());
} else {
  const redis = await startRedis();
  try {
    const names = ['replica-a', 'replica-b', 'replica-c'];
    const children: ChildProcess[] = names.map((name) =>
      fork(import.meta.filename, ['replica', redis.url, name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const said = (child: ChildProcess) => new Promise<unknown>((resolve) => child.once('message', resolve));
    await Promise.all(children.map(said)); // 'ready'
    const startAt = Date.now() + 100;
    for (const child of children) child.send(startAt);
    const counts = (await Promise.all(children.map(said))).map(Number);
    const total = counts.reduce((a, b) => a + b, 0);
    for (const [i, name] of names.entries()) console.log(`${name}: ${counts[i]} calls`);
    console.log(`together: ${total} calls in ${RUN_MS / 1000} s; the limit allows ${LIMIT} a second plus a burst of 5`);
    // GCRA: at most burst + limit x seconds, however the three interleave.
    assert.ok(total <= 5 + (LIMIT * RUN_MS) / 1000, `the shared limit held (${total})`);
    assert.ok(
      counts.every((n) => n > 0),
      'every replica got a share',
    );
  } finally {
    redis.stop();
  }
}
