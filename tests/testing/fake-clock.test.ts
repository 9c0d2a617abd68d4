import { FakeClock } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';

describe('FakeClock', () => {
  it('starts where it is told and only moves when advanced', async () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    await clock.advance(250);
    expect(clock.now()).toBe(1_250);
    expect(new FakeClock().now()).toBe(0);
  });

  it('fires due timers in time order, ties in the order they were set', async () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b1@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`b2@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push('late'), 31);
    await clock.advance(30);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
    expect(clock.pendingTimers).toBe(1);
  });

  it('runs promise continuations between timers, so a chain of waits plays in one advance', async () => {
    const clock = new FakeClock();
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    const steps: number[] = [];
    const chain = (async () => {
      for (let i = 0; i < 5; i++) {
        await sleep(100);
        steps.push(clock.now());
      }
    })();
    await clock.advance(500);
    await chain;
    expect(steps).toEqual([100, 200, 300, 400, 500]);
  });

  it('fires timers set by other timers when they fall due inside the same advance', async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 5);
    await clock.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  it('clears timers, and ignores unknown or repeated clears', async () => {
    const clock = new FakeClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 10);
    expect(clock.pendingTimers).toBe(1);
    clock.clearTimeout(handle);
    clock.clearTimeout(handle);
    clock.clearTimeout('nonsense');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(100);
    expect(fired).toBe(false);
  });

  it('treats a negative or NaN delay as 0, like real timers', async () => {
    const clock = new FakeClock();
    let count = 0;
    clock.setTimeout(() => count++, -5);
    clock.setTimeout(() => count++, Number.NaN);
    await clock.advance(0);
    expect(count).toBe(2);
  });

  it('runAll fires everything, moving time to each timer', async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 1_000);
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 10_000);
    }, 50);
    await clock.runAll();
    expect(fired).toEqual([50, 1_000, 10_050]);
    expect(clock.now()).toBe(10_050);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runAll stops a timer that reschedules itself forever with a clear error', async () => {
    const clock = new FakeClock();
    const again = () => clock.setTimeout(again, 1);
    again();
    await expect(clock.runAll()).rejects.toThrow(/fired 100000 timers and more keep coming/);
  });

  it('refuses bad arguments, naming them', async () => {
    expect(() => new FakeClock(Number.NaN)).toThrow('FakeClock: startMs must be a finite number; got NaN (number)');
    const clock = new FakeClock();
    await expect(clock.advance(-1)).rejects.toThrow(
      'FakeClock.advance: ms must be a finite number >= 0; got -1 (number)',
    );
    await expect(clock.advance(Number.POSITIVE_INFINITY)).rejects.toThrow(/got Infinity/);
    expect(() => clock.setTimeout('nope' as unknown as () => void, 1)).toThrow(/callback must be a function/);
  });
});
