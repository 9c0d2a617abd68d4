import { compose, type ExecuteContext, type Policy } from 'bulwark';
import { type TimeoutPolicy, timeout } from 'bulwark/timeout';
import { describe, expectTypeOf, it } from 'vitest';

describe('execute keeps the type of what the work returns', () => {
  const policy = timeout(100);

  it('for async, sync and thenable work', () => {
    expectTypeOf(policy.execute(async () => 1)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(policy.execute(() => 'sync')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(policy.execute(() => Promise.resolve({ id: 'a' as const }))).toEqualTypeOf<Promise<{ id: 'a' }>>();
    expectTypeOf(policy.execute(async () => {})).toEqualTypeOf<Promise<void>>();
  });

  it('through compose', () => {
    const composed = compose(timeout(1000), timeout(100));
    expectTypeOf(composed.execute(async ({ signal }) => signal.aborted)).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(composed).toMatchTypeOf<Policy>();
    expectTypeOf(composed.policies).toEqualTypeOf<readonly Policy[]>();
  });

  it('hands the work its context', () => {
    policy.execute((ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<ExecuteContext>();
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
      expectTypeOf(ctx.attempt).toEqualTypeOf<number>();
    });
  });

  it('types events and their payloads', () => {
    expectTypeOf(policy).toMatchTypeOf<TimeoutPolicy>();
    policy.on('timeout', (event) => {
      expectTypeOf(event).toEqualTypeOf<{ readonly name: string; readonly ms: number }>();
    });
    // @ts-expect-error: no such event
    policy.on('nope', () => {});
    // @ts-expect-error: ms must be a number
    timeout({ ms: '100' });
  });
});

describe('retry and breaker keep the type too', async () => {
  const { retry } = await import('bulwark/retry');
  const { circuitBreaker } = await import('bulwark/breaker');

  it('through each and through the recommended pipeline', () => {
    expectTypeOf(retry().execute(async () => ({ ok: true }))).toEqualTypeOf<Promise<{ ok: boolean }>>();
    expectTypeOf(circuitBreaker().execute(() => 42n)).toEqualTypeOf<Promise<bigint>>();
    const pipeline = compose(timeout(1000), retry(), circuitBreaker(), timeout(100));
    expectTypeOf(pipeline.execute(async () => [1, 2] as const)).toEqualTypeOf<Promise<readonly [1, 2]>>();
  });

  it('types their events', () => {
    retry().on('giveUp', (e) => {
      expectTypeOf(e.reason).toEqualTypeOf<
        'exhausted' | 'permanent' | 'rejected' | 'budget' | 'deadline' | 'aborted'
      >();
    });
    circuitBreaker().on('stateChange', (e) => {
      expectTypeOf(e.to).toEqualTypeOf<'closed' | 'open' | 'half-open' | 'isolated'>();
    });
  });
});
