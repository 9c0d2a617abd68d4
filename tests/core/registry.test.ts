import { compose, type Policy, policies } from 'bulwark';
import { FakeClock } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** A policy of the user's own: runs the work, and records the settings it was configured with. */
function tagged(key: string, settings: { n: number } | undefined) {
  const policy = {
    key,
    n: settings?.n ?? 0,
    execute<T>(fn: (c: { signal: AbortSignal; attempt: number }) => T | PromiseLike<T>): Promise<T> {
      return Promise.resolve(fn({ signal: new AbortController().signal, attempt: 1 }));
    },
    configure(next: { n: number }) {
      if (typeof next?.n !== 'number') throw new RangeError(`n must be a number; got ${String(next?.n)}`);
      policy.n = next.n;
    },
  };
  return policy;
}

describe('policies()', () => {
  it('returns the same policy for the same key, made on first use with that key’s settings', () => {
    const made: string[] = [];
    const registry = policies({
      create: (key, settings: { n: number } | undefined) => {
        made.push(key);
        return tagged(key, settings);
      },
      settings: { a: { n: 1 } },
    });
    const a = registry.get('a');
    expect(registry.get('a')).toBe(a);
    expect(a.n).toBe(1);
    expect(registry.get('b').n).toBe(0);
    expect(made).toEqual(['a', 'b']);
    expect(registry.size).toBe(2);
    expect([...registry].map(([key]) => key)).toEqual(['a', 'b']);
    expect(registry.stats()).toEqual({ size: 2, maxKeys: 10_000, created: 2, evicted: 0 });
  });

  it('drops the least recently used beyond maxKeys, and says so', () => {
    const registry = policies({ create: tagged, maxKeys: 2 });
    const evicted: string[] = [];
    registry.on('evict', ({ key, reason }) => evicted.push(`${key}:${reason}`));
    const a = registry.get('a');
    registry.get('b');
    registry.get('a'); // a is now the most recent
    registry.get('c');
    expect(evicted).toEqual(['b:max-keys']);
    expect(registry.peek('a')).toBe(a);
    expect(registry.peek('b')).toBeUndefined();
    expect(registry.get('b')).not.toBe(undefined);
    expect(evicted).toEqual(['b:max-keys', 'a:max-keys']);
  });

  it('drops policies idle for idleMs, lazily and with no timer', async () => {
    const clock = new FakeClock();
    const registry = policies({ create: tagged, idleMs: 1000, clock });
    const a = registry.get('a');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(999);
    expect(registry.get('a')).toBe(a);
    await clock.advance(1000);
    registry.get('b');
    expect(registry.peek('a')).toBeUndefined();
    expect(registry.stats().evicted).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('configure is all or nothing: one bad value changes no policy', () => {
    const registry = policies({ create: tagged });
    const a = registry.get('a');
    const b = registry.get('b');
    // A user's own policy validates only when applied (bulwark's validate first: see
    // tests/core/configure.test.ts); the error names the key, and the settings for keys made
    // later did not change.
    expect(() => registry.configure({ a: { n: 5 }, b: { n: 'x' } as never })).toThrow(
      /policies.configure: key "b": n must be a number/,
    );
    expect(registry.get('c').n).toBe(0);
    registry.configure({ a: { n: 7 }, b: { n: 8 } });
    expect([a.n, b.n]).toEqual([7, 8]);
    expect(registry.get('d').n).toBe(0);
    registry.configure({ e: { n: 3 } });
    expect(registry.get('e').n).toBe(3);
  });

  it('keys are own keys: __proto__ and constructor are keys like any other, and no prototype is touched', () => {
    const registry = policies({
      create: tagged,
      settings: JSON.parse('{"__proto__": {"n": 9}, "constructor": {"n": 4}}'),
    });
    expect(registry.get('__proto__').n).toBe(9);
    expect(registry.get('constructor').n).toBe(4);
    expect(registry.get('toString').n).toBe(0);
    expect(({} as Record<string, unknown>).n).toBeUndefined();
  });

  it('refuses bad options with the option, the value and what is valid', () => {
    expect(() => policies(undefined as never)).toThrow(/options \{ create \} are required/);
    expect(() => policies({} as never)).toThrow(/option "create" must be a function/);
    expect(() => policies({ create: tagged, maxKeys: 0 })).toThrow(/"maxKeys" must be a whole number >= 1; got 0/);
    expect(() => policies({ create: tagged, idleMs: -1 })).toThrow(/"idleMs"/);
    expect(() => policies({ create: tagged, typo: 1 } as never)).toThrow(/unknown option "typo"/);
    expect(() => policies({ create: tagged, settings: [] as never })).toThrow(/settings must be an object/);
    const registry = policies({ create: () => ({}) as unknown as Policy });
    expect(() => registry.get('x')).toThrow(/create\("x"\) must return a policy/);
    expect(() => registry.get(1 as never)).toThrow(/key must be a string/);
  });

  it('stays bounded for any sequence of keys (maxKeys holds after every get)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.string({ maxLength: 3 }), { maxLength: 200 }),
        (max, keys) => {
          const registry = policies({ create: tagged, maxKeys: max });
          for (const key of keys) {
            const p = registry.get(key);
            expect(registry.peek(key)).toBe(p);
            expect(registry.size).toBeLessThanOrEqual(max);
          }
          const { created, evicted, size } = registry.stats();
          expect(created - evicted).toBe(size);
        },
      ),
    );
  });

  it('100,000 keys over time with maxKeys 1000 keep the heap bounded', () => {
    const registry = policies({ create: tagged, maxKeys: 1000 });
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 0; i < 100_000; i++) registry.get(`tenant-${i}`);
    gc?.();
    expect(registry.size).toBe(1000);
    expect(registry.stats()).toMatchObject({ created: 100_000, evicted: 99_000 });
  });
});

describe('compose().configure', () => {
  it('reaches parts by name, all or nothing, and names what is wrong', () => {
    const a = Object.assign(tagged('a', { n: 1 }), { name: 'a' });
    const b = Object.assign(tagged('b', { n: 2 }), { name: 'b' });
    const pipeline = compose(a, b);
    pipeline.configure({ a: { n: 10 } });
    expect([a.n, b.n]).toEqual([10, 2]);
    expect(() => pipeline.configure({ c: { n: 1 } })).toThrow(
      /no part is named "c"; parts that can be named: "a", "b"/,
    );
    const twice = compose(a, Object.assign(tagged('x', undefined), { name: 'a' }));
    expect(() => twice.configure({ a: { n: 1 } })).toThrow(/two parts are named "a"/);
  });
});
