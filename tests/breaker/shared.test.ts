// The shared breaker's mechanism on FakeClock, against a scripted BreakerStateStore: what a
// replica reports and when. The fleet's rules (quorum, leases) live in the Redis scripts and are
// tested against a real redis-server in tests/redis/.
import {
  type BreakerReport,
  type BreakerStateStore,
  type BreakerView,
  circuitBreaker,
  consecutiveFailures,
  type LeaseAnswer,
} from 'bulwark/breaker';
import { FakeClock } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const closed: BreakerView = {
  state: 'closed',
  openRemainingMs: 0,
  epoch: 0,
  votes: 0,
  voteCounted: false,
  isolatedByOthers: false,
  replicas: 1,
  calls: 0,
  failures: 0,
};

function scripted(
  answer: (report: BreakerReport) => BreakerView | undefined | 'throw',
  lease: () => LeaseAnswer | undefined = () => undefined,
) {
  const reports: BreakerReport[] = [];
  const store: BreakerStateStore = {
    syncBreaker(_name, report) {
      reports.push(report);
      const a = answer(report);
      if (a === 'throw') throw new Error('store bug');
      return Promise.resolve(a);
    },
    leaseProbe: () => Promise.resolve(lease()),
  };
  return { store, reports };
}

describe('circuitBreaker({ shared })', () => {
  it('makes no store call per successful call: one report per syncMs, with the counts', async () => {
    const clock = new FakeClock();
    const { store, reports } = scripted(() => closed);
    const breaker = circuitBreaker({ clock, shared: { store, syncMs: 1000, replica: 'r1' } });
    for (let i = 0; i < 500; i++) await breaker.execute(() => i);
    expect(reports).toHaveLength(1);
    await clock.advance(1000);
    for (let i = 0; i < 500; i++) await breaker.execute(() => i);
    expect(reports).toHaveLength(2);
    expect(reports[1]).toMatchObject({ replica: 'r1', calls: 500, failures: 0, voting: false, holds: 0 });
  });

  it('opens when the fleet says so, for the time the fleet says, and says why', async () => {
    const clock = new FakeClock();
    const { store } = scripted(() => ({ ...closed, state: 'open', openRemainingMs: 700, epoch: 1, votes: 2 }));
    const breaker = circuitBreaker({ clock, openMs: 60_000, shared: { store, syncMs: 100 } });
    const changes: string[] = [];
    breaker.on('stateChange', ({ to, reason }) => changes.push(`${to}:${reason}`));
    await breaker.execute(() => 'first call runs: the report is not awaited');
    await Promise.resolve();
    expect(breaker.state).toBe('open');
    expect(breaker.stats().retryAfterMs).toBe(700);
    expect(changes).toEqual(['open:shared']);
  });

  it('reports a trip at once as a vote, and keeps its own open state while the fleet has no quorum', async () => {
    const clock = new FakeClock();
    const { store, reports } = scripted((r) => ({ ...closed, votes: r.voting ? 1 : 0, voteCounted: r.voting }));
    const breaker = circuitBreaker({ clock, trip: consecutiveFailures(2), shared: { store } });
    for (let i = 0; i < 2; i++) await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    await clock.advance(0);
    expect(reports.at(-1)).toMatchObject({ voting: true, failures: 2 });
    expect(breaker.state).toBe('open');
  });

  it('reports an isolation again on its own when the store missed it, without waiting for a call', async () => {
    const clock = new FakeClock();
    let down = true;
    const { store, reports } = scripted(() => (down ? undefined : closed));
    const breaker = circuitBreaker({ clock, shared: { store, syncMs: 200 } });
    const release = breaker.isolate();
    await clock.advance(0);
    expect(reports.map((r) => r.holds)).toEqual([1]);
    await clock.advance(200);
    expect(reports.map((r) => r.holds)).toEqual([1, 1]);
    down = false;
    await clock.advance(200);
    expect(reports.map((r) => r.holds)).toEqual([1, 1, 1]);
    await clock.advance(1000);
    expect(reports).toHaveLength(3); // delivered: no more reports while idle
    release();
    await clock.advance(0);
    expect(reports.at(-1)?.holds).toBe(0);
  });

  it('survives a store that throws: the breaker goes on alone', async () => {
    const clock = new FakeClock();
    const { store } = scripted(() => 'throw');
    const breaker = circuitBreaker({ clock, trip: consecutiveFailures(1), shared: { store } });
    expect(await breaker.execute(() => 'ok')).toBe('ok');
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    expect(breaker.state).toBe('open');
    expect(breaker.stats().shared).toMatchObject({ connected: false });
  });

  it('drops its vote when it hears through a probe lease that the fleet closed, so a stale vote cannot reopen the fleet', async () => {
    // Found by the four-replica test: two replicas that had voted closed on the lease's answer,
    // kept their votes, and at the next report (now in the new epoch) reopened a healthy fleet.
    const clock = new FakeClock();
    let epoch = 0;
    const { store, reports } = scripted(
      (r) => ({ ...closed, epoch, votes: r.voting ? 1 : 0, voteCounted: r.voting }),
      () => ({ answer: 'closed', openRemainingMs: 0, epoch: ++epoch }),
    );
    const breaker = circuitBreaker({
      clock,
      trip: consecutiveFailures(1),
      openMs: 1000,
      shared: { store, syncMs: 100 },
    });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    await clock.advance(0);
    expect(reports.at(-1)).toMatchObject({ voting: true });
    await clock.advance(1000);
    expect(breaker.state).toBe('half-open');
    // The half-open call asks for a lease; the fleet closed meanwhile: the call runs as a closed one.
    expect(await breaker.execute(() => 'ok')).toBe('ok');
    expect(breaker.state).toBe('closed');
    await clock.advance(100);
    await breaker.execute(() => 'ok');
    await clock.advance(100);
    expect(reports.at(-1)).toMatchObject({ voting: false, seenEpoch: 1 });
  });
});
