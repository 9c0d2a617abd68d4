import { isClock, systemClock } from 'bulwark';
import { FakeClock } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';

describe('systemClock', () => {
  it('reads monotonic time', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(b).toBeGreaterThanOrEqual(a);
  });

  it('sets unref-ed timers that never keep the process alive, and clears them', async () => {
    const handle = systemClock.setTimeout(() => {}, 60_000) as { hasRef(): boolean };
    expect(handle.hasRef()).toBe(false);
    systemClock.clearTimeout(handle);
    const fired = await new Promise<boolean>((resolve) => systemClock.setTimeout(() => resolve(true), 1));
    expect(fired).toBe(true);
  });

  it('is frozen, so no test can swap its methods for everyone', () => {
    expect(Object.isFrozen(systemClock)).toBe(true);
  });
});

describe('isClock', () => {
  it('accepts anything with the three functions', () => {
    expect(isClock(systemClock)).toBe(true);
    expect(isClock(new FakeClock())).toBe(true);
    expect(isClock({ now: () => 0 })).toBe(false);
    expect(isClock(null)).toBe(false);
  });
});
