// Command deadlines on FakeClock: a Redis that never answers (a client whose replies never come,
// as behind a dead TCP connection) must cost a caller exactly `commandTimeoutMs`, and every
// command in flight shares the clock's one timer instead of arming its own. The real-server
// proofs (a proxy delaying every reply, redis-server stopped) are in store.test.ts and faults.
import { redisStore } from 'bulwark/redis';
import { FakeClock } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';

/** An ioredis-shaped client whose replies arrive only when the test says so. */
function heldClient() {
  const held: Array<(reply: unknown) => void> = [];
  const reply = () => new Promise<unknown>((resolve) => held.push(resolve));
  return { client: { status: 'ready', evalsha: reply, eval: reply }, held };
}

const rule = { intervalMs: 100, burst: 1, maxWaitMs: 0 };

describe('redisStore command deadlines', () => {
  it('a command Redis does not answer is decided alone at its deadline, not before, with one timer for all', async () => {
    const clock = new FakeClock();
    const { client, held } = heldClient();
    const store = redisStore({ client, clock, commandTimeoutMs: 25, replicas: 2 });
    const fallbacks: string[] = [];
    store.on('fallback', ({ reason }) => fallbacks.push(reason));

    const decided: Array<boolean | undefined> = [];
    for (let i = 0; i < 50; i++)
      void Promise.resolve(store.take('k', rule, clock.now())).then((d) => decided.push(d.granted));
    expect(held).toHaveLength(50);
    expect(clock.pendingTimers).toBe(1);

    await clock.advance(24);
    expect(decided).toHaveLength(0);
    await clock.advance(1);
    expect(decided).toHaveLength(50);
    expect(fallbacks).toEqual(['timeout']);
    expect(store.stats()).toMatchObject({ timeouts: 50, mode: 'local' });
    expect(clock.pendingTimers).toBe(0);

    // The late replies change nothing and throw nowhere.
    for (const resolve of held) resolve([1, 0, 5]);
    await clock.advance(0);
    expect(decided).toHaveLength(50);
  });

  it('an answer in time leaves no timer behind, and the next command arms the one timer again', async () => {
    const clock = new FakeClock();
    const { client, held } = heldClient();
    const store = redisStore({ client, clock, commandTimeoutMs: 25 });
    const first = Promise.resolve(store.take('k', rule, clock.now()));
    await clock.advance(10);
    const second = Promise.resolve(store.take('k', rule, clock.now()));
    expect(clock.pendingTimers).toBe(1);
    held[0]?.([1, 0, 4]);
    await expect(first).resolves.toEqual({ granted: true, waitMs: 0, remaining: 4 });
    expect(clock.pendingTimers).toBe(1); // the second still waits, on the same timer
    await clock.advance(15); // the first's deadline, now gone: nothing fires
    expect(store.stats().timeouts).toBe(0);
    held[1]?.([0, 50, 0]);
    await expect(second).resolves.toEqual({ granted: false, waitMs: 50, remaining: 0 });
    expect(clock.pendingTimers).toBe(0);
    expect(store.stats()).toMatchObject({ commands: 2, timeouts: 0, mode: 'shared' });
  });
});
