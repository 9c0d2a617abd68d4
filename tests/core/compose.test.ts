import { compose, type ExecuteContext, type ExecuteOptions, type Policy, type Work } from 'bulwark';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** A policy that records when it is entered and left, and what it was handed. */
function tracer(name: string, log: string[], seen: ExecuteOptions[] = []): Policy {
  return {
    async execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T> {
      seen.push(options ?? {});
      log.push(`${name}>`);
      try {
        const signal = options?.signal ?? new AbortController().signal;
        return await fn({ signal, attempt: options?.attempt ?? 1 });
      } finally {
        log.push(`<${name}`);
      }
    },
  };
}

describe('compose', () => {
  it('runs the first policy outermost, for any number of policies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 8 }), async (count) => {
        const log: string[] = [];
        const names = Array.from({ length: count }, (_, i) => `p${i}`);
        const policy = compose(...names.map((n) => tracer(n, log)));
        const result = await policy.execute(() => {
          log.push('fn');
          return 42;
        });
        expect(result).toBe(42);
        expect(log).toEqual([...names.map((n) => `${n}>`), 'fn', ...names.toReversed().map((n) => `<${n}`)]);
      }),
    );
  });

  it('hands each inner policy the signal and attempt of the one around it', async () => {
    const seen: ExecuteOptions[] = [];
    const clock = new FakeClock();
    const outer = timeout({ ms: 1000, clock });
    let innerContext: ExecuteContext | undefined;
    await compose(outer, tracer('inner', [], seen)).execute((ctx) => {
      innerContext = ctx;
    });
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(seen[0]?.attempt).toBe(1);
    expect(innerContext?.signal).toBe(seen[0]?.signal);
  });

  it('lets an outer timeout abort the innermost work', async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | undefined;
    const call = compose(timeout({ ms: 100, clock }), timeout({ ms: 5000, clock })).execute((ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    const outcome = expect(call).rejects.toMatchObject({ code: 'ERR_TIMEOUT', timeoutMs: 100 });
    await clock.advance(100);
    await outcome;
    expect(signal?.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('with no policies runs fn directly and still honours the caller signal', async () => {
    expect(await compose().execute(({ attempt }) => attempt)).toBe(1);
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    let called = false;
    await expect(
      compose().execute(
        () => {
          called = true;
        },
        { signal: controller.signal },
      ),
    ).rejects.toThrow('gone');
    expect(called).toBe(false);
    await expect(compose().execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(
      compose().execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
  });

  it('exposes its parts and refuses what is not a policy', () => {
    const a = timeout(10);
    const b = timeout(20);
    expect(compose(a, b).policies).toEqual([a, b]);
    expect(Object.isFrozen(compose(a).policies)).toBe(true);
    expect(() => compose(a, {} as Policy)).toThrow(
      'compose: argument 1 must be a policy (an object with an execute method); got object',
    );
    expect(() => compose(null as unknown as Policy)).toThrow('got null');
  });
});
