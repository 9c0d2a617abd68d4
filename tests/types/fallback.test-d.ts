import type { ExecuteContext, Policy } from 'bulwark';
import { type FallbackPolicy, fallback } from 'bulwark/fallback';
import { hedge } from 'bulwark/hedge';
import { rateLimit } from 'bulwark/rate-limit';
import { describe, expectTypeOf, it } from 'vitest';

interface User {
  readonly id: string;
  readonly name: string;
}
declare function loadUser(signal: AbortSignal): Promise<User>;

describe('fallback keeps types exact: work T and fallback R give T | R', () => {
  it('a value', () => {
    const orNull = fallback({ value: null });
    expectTypeOf(orNull).toEqualTypeOf<FallbackPolicy<null>>();
    expectTypeOf(orNull.execute(({ signal }) => loadUser(signal))).toEqualTypeOf<Promise<User | null>>();
    expectTypeOf(fallback({ value: 0 }).execute(() => 'x')).toEqualTypeOf<Promise<string | number>>();
    const literal = fallback({ value: 'guest' as const });
    expectTypeOf(literal.execute(async () => 42)).toEqualTypeOf<Promise<number | 'guest'>>();
  });

  it('a function, sync or async, given the error and the context', () => {
    const sync = fallback({
      to: (error, context) => {
        expectTypeOf(error).toEqualTypeOf<unknown>();
        expectTypeOf(context).toEqualTypeOf<ExecuteContext>();
        return { id: 'anon', name: 'Anonymous', cached: true as const };
      },
    });
    expectTypeOf(sync.execute(({ signal }) => loadUser(signal))).toEqualTypeOf<
      Promise<User | { id: string; name: string; cached: true }>
    >();
    const async = fallback({ to: async () => [1, 2, 3] });
    expectTypeOf(async.execute(async () => 'text')).toEqualTypeOf<Promise<string | number[]>>();
  });

  it('when takes the error and answers a boolean', () => {
    fallback({ value: 1, when: (error) => error instanceof TypeError });
    // @ts-expect-error when must return a boolean
    fallback({ value: 1, when: () => 'yes' });
  });

  it('refuses a call with neither value nor to', () => {
    // @ts-expect-error value or to is required
    fallback({ when: () => true });
  });

  it('is not a Policy (its result is wider than the work), so compose refuses it', () => {
    expectTypeOf(fallback({ value: null })).not.toMatchTypeOf<Policy>();
  });
});

describe('hedge and rateLimit keep the work type', () => {
  it('execute returns the work type', () => {
    expectTypeOf(hedge({ delayMs: 10 }).execute(({ signal }) => loadUser(signal))).toEqualTypeOf<Promise<User>>();
    const limiter = rateLimit({ limit: 1, windowMs: 1000 });
    expectTypeOf(limiter.execute(() => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(limiter.forKey('a').execute(async () => 'x')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(limiter).toMatchTypeOf<Policy>();
  });
});
