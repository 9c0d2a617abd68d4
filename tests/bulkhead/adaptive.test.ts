/**
 * The adaptive limit against a simulated dependency whose latency grows once more than C calls
 * run, C unknown to the limiter and changing midway (scripts/adaptive-sim.ts, on FakeClock).
 * The numbers are in docs/decisions/0012-adaptive-limit-gradient.md.
 */
import { adaptiveLimit } from 'bulwark/bulkhead';
import { describe, expect, it } from 'vitest';
import { CHOICES, fixed, type Result, SCENARIO, simulate, unloadedP99 } from '../../scripts/adaptive-sim.ts';

describe('adaptive limit, simulated', () => {
  it('settles near C in every phase, goodput within 10% of the best fixed limit, p99 within 2x unloaded', async () => {
    const adaptive = await simulate(CHOICES.adaptive as NonNullable<(typeof CHOICES)['adaptive']>);
    const fixedRuns: Result[] = [];
    for (const n of [8, 12, 16, 20, 25, 30, 40]) fixedRuns.push(await simulate(fixed(n)));
    const best = fixedRuns.reduce((a, b) => (b.goodput > a.goodput ? b : a));

    for (const phase of adaptive.phases) {
      expect(phase.settledLimit, `capacity ${phase.capacity}`).toBeGreaterThanOrEqual(phase.capacity);
      expect(phase.settledLimit, `capacity ${phase.capacity}`).toBeLessThanOrEqual(phase.capacity * 1.6);
    }
    expect(adaptive.goodput).toBeGreaterThanOrEqual(best.goodput * 0.9);
    expect(adaptive.p99).toBeLessThanOrEqual(2 * unloadedP99(SCENARIO));
    // The fixed limit that wins on goodput pays for it in latency: one number cannot fit every phase.
    expect(best.p99).toBeGreaterThan(adaptive.p99);
  }, 180_000);

  it('measures the unloaded latency again: a dependency that became slower for good is not taken for an overloaded one', async () => {
    const slower = {
      ...SCENARIO,
      phases: [
        { durationMs: 15_000, capacity: 20 },
        { durationMs: 30_000, capacity: 20, baseMs: 80 },
      ],
      arrivalsPerSecond: 700,
      deadlineMs: 320,
    };
    const result = await simulate(CHOICES.adaptive as NonNullable<(typeof CHOICES)['adaptive']>, slower);
    const last = result.phases[1];
    expect(last?.settledLimit).toBeGreaterThanOrEqual(20);
    expect(last?.settledLimit).toBeLessThanOrEqual(32);
  }, 60_000);

  it('does not grow while the traffic uses less than half the limit', () => {
    const limit = adaptiveLimit({ initial: 10 });
    let highest = 0;
    for (let i = 0; i < 1000; i++) {
      limit.record({ durationMs: 10, inflight: 2 });
      highest = Math.max(highest, limit.current);
    }
    expect(highest).toBe(10);
  });

  it('grows while calls are as fast as unloaded, and halves at most on a timeout', () => {
    const limit = adaptiveLimit({ initial: 10, max: 50 });
    const changes: string[] = [];
    limit.on('change', ({ from, to, reason }) => changes.push(`${from}>${to} ${reason}`));
    for (let i = 0; i < 2000 && limit.current < 20; i++) limit.record({ durationMs: 10, inflight: limit.current });
    expect(limit.current).toBeGreaterThanOrEqual(20);
    const before = limit.current;
    for (let i = 0; i < before; i++) limit.record({ durationMs: 100, inflight: before, dropped: i === 0 });
    expect(limit.current).toBeLessThan(before);
    expect(limit.current).toBeGreaterThanOrEqual(Math.floor(before / 2));
    expect(changes.at(-1)).toMatch(/ drop$/);
    expect(limit.stats()).toMatchObject({ baselineMs: 10, probing: false });
  });

  it('stays within min and max whatever it is fed', () => {
    const limit = adaptiveLimit({ initial: 5, min: 3, max: 7 });
    for (let i = 0; i < 500; i++) {
      limit.record({ durationMs: i % 7 === 0 ? 1 : 500, inflight: 1 + (i % 9), dropped: i % 11 === 0 });
      expect(limit.current).toBeGreaterThanOrEqual(3);
      expect(limit.current).toBeLessThanOrEqual(7);
      expect(Number.isInteger(limit.current)).toBe(true);
    }
  });
});
