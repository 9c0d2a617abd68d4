import { EventEmitter } from 'node:events';
import { systemClock } from 'bulwark';
import { FakeClock } from 'bulwark/testing';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
// The mechanism under requestDeadline: one timer for every request's deadline.
import { DeadlineQueue, type Pending } from '../../src/http/deadline-queue.js';

class FakeRes extends EventEmitter {
  writableFinished = false;
}

type Step = { kind: 'add' } | { kind: 'finish'; index: number } | { kind: 'advance'; ms: number };

const steps = fc.array(
  fc.oneof(
    fc.constant<Step>({ kind: 'add' }),
    fc.record({ kind: fc.constant<'finish'>('finish'), index: fc.nat(50) }),
    fc.record({ kind: fc.constant<'advance'>('advance'), ms: fc.integer({ min: 0, max: 400 }) }),
  ),
  { maxLength: 80 },
);

describe('DeadlineQueue', () => {
  it('expires exactly the requests not over by their due time, at that time, with at most one timer', async () => {
    await fc.assert(
      fc.asyncProperty(steps, fc.integer({ min: 1, max: 300 }), async (script, ms) => {
        const clock = new FakeClock();
        const expired: Array<{ p: Pending; at: number }> = [];
        const queue = new DeadlineQueue(
          clock,
          ms,
          (p) => expired.push({ p, at: clock.now() }),
          () => new Error('gone'),
        );
        const added: Array<{ p: Pending; res: FakeRes; addedAt: number; finishedAt?: number }> = [];
        for (const step of script) {
          if (step.kind === 'add') {
            const res = new FakeRes();
            const p = queue.add({} as never, res as never, undefined, false);
            added.push({ p, res, addedAt: clock.now() });
          } else if (step.kind === 'finish') {
            const entry = added[step.index % Math.max(1, added.length)];
            if (entry === undefined || entry.finishedAt !== undefined) continue;
            entry.res.writableFinished = true;
            entry.res.emit('close');
            if (!expired.some((e) => e.p === entry.p)) entry.finishedAt = clock.now();
          } else {
            await clock.advance(step.ms);
          }
          expect(clock.pendingTimers).toBeLessThanOrEqual(1);
        }
        await clock.advance(ms + 1);
        for (const entry of added) {
          const hit = expired.filter((e) => e.p === entry.p);
          if (entry.finishedAt !== undefined) expect(hit).toEqual([]);
          else expect(hit.map((e) => e.at)).toEqual([entry.addedAt + ms]);
        }
        expect(clock.pendingTimers).toBe(0);
      }),
    );
  });

  it('aborts with the client-gone reason when a response closes unfinished', () => {
    const clock = new FakeClock();
    const gone = new Error('gone');
    const queue = new DeadlineQueue(
      clock,
      100,
      () => {},
      () => gone,
    );
    const res = new FakeRes();
    const p = queue.add({} as never, res as never, undefined, true);
    expect(clock.pendingTimers).toBe(0); // exempt: no deadline
    res.emit('close');
    expect(p.reason).toBe(gone);
  });

  describe('on the system clock', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('sets one timer for requests that come and go one at a time, not one each, and it still expires them', async () => {
      const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
      const expired: Pending[] = [];
      const queue = new DeadlineQueue(
        systemClock,
        20,
        (p) => expired.push(p),
        () => new Error('gone'),
      );
      for (let i = 0; i < 100; i++) {
        const res = new FakeRes();
        queue.add({} as never, res as never, undefined, false);
        res.writableFinished = true;
        res.emit('close'); // over before the next one comes: the queue is empty between them
      }
      expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
      // The lingering timer still serves the next request's deadline.
      const late = queue.add({} as never, new FakeRes() as never, undefined, false);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(expired).toEqual([late]);
    });
  });
});
