import { constant, exponential, fromDelays, type Jitter } from 'bulwark';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const MAX_TIMER_MS = 2 ** 31 - 1;
const fixed = (r: number) => () => r;

describe('backoffs', () => {
  it('exponential defaults: 1 s, 2 s, 4 s, 8 s, then 10 s, before jitter', () => {
    const backoff = exponential({ jitter: 'none' });
    const delays = [1, 2, 3, 4, 5, 6, 50].map((attempt) => backoff.delay({ attempt, random: Math.random }));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('full jitter draws from 0 to the delay; equal keeps at least half', () => {
    const full = exponential({ initialMs: 100, jitter: 'full' });
    expect(full.delay({ attempt: 2, random: fixed(0) })).toBe(0);
    expect(full.delay({ attempt: 2, random: fixed(0.5) })).toBe(100);
    const equal = exponential({ initialMs: 100, jitter: 'equal' });
    expect(equal.delay({ attempt: 2, random: fixed(0) })).toBe(100);
    expect(equal.delay({ attempt: 2, random: fixed(0.5) })).toBe(150);
  });

  it('decorrelated jitter draws from initialMs to three times the previous delay, capped', () => {
    const backoff = exponential({ initialMs: 100, maxMs: 1000, jitter: 'decorrelated' });
    expect(backoff.delay({ attempt: 1, random: fixed(0) })).toBe(100);
    expect(backoff.delay({ attempt: 2, random: fixed(0.5), previousMs: 200 })).toBe(350);
    expect(backoff.delay({ attempt: 9, random: fixed(0.99), previousMs: 900 })).toBe(1000);
  });

  it('constant and fromDelays give exactly what they are told', () => {
    expect(constant(250).delay({ attempt: 7, random: Math.random })).toBe(250);
    const list = fromDelays([10, 20, 30]);
    expect([1, 2, 3, 4, 99].map((attempt) => list.delay({ attempt, random: Math.random }))).toEqual([
      10, 20, 30, 30, 30,
    ]);
  });

  it('never yields NaN, a negative number or more than a timer holds, for any attempt up to 100,000', () => {
    const jitter = fc.constantFrom<Jitter>('none', 'full', 'equal', 'decorrelated');
    const options = fc.record({
      initialMs: fc.integer({ min: 0, max: 100_000 }),
      factor: fc.double({ min: 1, max: 1000, noNaN: true }),
      extra: fc.integer({ min: 0, max: MAX_TIMER_MS - 100_000 }),
      jitter,
    });
    fc.assert(
      fc.property(
        options,
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 0.999_999_999, noNaN: true }),
        fc.option(fc.double({ min: 0, max: MAX_TIMER_MS, noNaN: true }), { nil: undefined }),
        ({ initialMs, factor, extra, jitter }, attempt, r, previousMs) => {
          const backoffs = [
            exponential({ initialMs, factor, maxMs: initialMs + extra, jitter }),
            constant(initialMs, { jitter }),
          ];
          for (const backoff of backoffs) {
            const ms = backoff.delay({ attempt, random: () => r, previousMs });
            expect(Number.isFinite(ms)).toBe(true);
            expect(ms).toBeGreaterThanOrEqual(0);
            expect(ms).toBeLessThanOrEqual(Math.max(initialMs + extra, initialMs));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('refuses bad options, naming them', () => {
    expect(() => exponential({ initialMs: -1 })).toThrow(
      'exponential: option "initialMs" must be a number of milliseconds from 0 to 2147483647; got -1 (number)',
    );
    expect(() => exponential({ factor: 0.5 })).toThrow(
      'exponential: option "factor" must be a finite number >= 1; got 0.5 (number)',
    );
    expect(() => exponential({ initialMs: 500, maxMs: 100 })).toThrow(
      'exponential: option "maxMs" (100) must be at least "initialMs" (500)',
    );
    expect(() => exponential({ jitter: 'half' as Jitter })).toThrow(
      `exponential: option "jitter" must be one of 'none', 'full', 'equal', 'decorrelated'; got "half" (string)`,
    );
    expect(() => exponential({ base: 1 } as never)).toThrow('exponential: unknown option "base"');
    expect(() => constant(Number.NaN)).toThrow(
      'constant: option "ms" must be a number of milliseconds from 0 to 2147483647; got NaN (number)',
    );
    expect(() => fromDelays([])).toThrow('fromDelays: expected a non-empty array of milliseconds; got array');
    expect(() => fromDelays([1, -2])).toThrow('fromDelays: option "delays[1]"');
  });
});
