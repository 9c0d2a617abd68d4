import type { Policy } from 'bulwark';
import {
  type AdaptiveLimit,
  adaptiveLimit,
  type Bulkhead,
  type BulkheadRejectReason,
  bulkhead,
} from 'bulwark/bulkhead';
import { describe, expectTypeOf, it } from 'vitest';

describe('bulkhead types', () => {
  const pool = bulkhead({ limit: 4, queue: 10 });

  it('keeps the type of what the work returns, and is a policy of kind bulkhead', () => {
    expectTypeOf(pool.execute(async () => ({ id: 1 }))).toEqualTypeOf<Promise<{ id: number }>>();
    expectTypeOf(pool.execute(() => 'sync')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(pool).toMatchTypeOf<Policy>();
    expectTypeOf(pool.kind).toEqualTypeOf<'bulkhead'>();
    expectTypeOf(pool).toEqualTypeOf<Bulkhead>();
  });

  it('takes a number or an adaptive limit, and types its events', () => {
    expectTypeOf(bulkhead({ limit: adaptiveLimit() }).adaptive).toEqualTypeOf<AdaptiveLimit | undefined>();
    pool.on('rejected', (e) => {
      expectTypeOf(e.reason).toEqualTypeOf<BulkheadRejectReason>();
      expectTypeOf(e.retryAfterMs).toEqualTypeOf<number>();
    });
    // @ts-expect-error: limit is required
    bulkhead({ queue: 3 });
    // @ts-expect-error: no such event
    pool.on('full', () => {});
  });
});
