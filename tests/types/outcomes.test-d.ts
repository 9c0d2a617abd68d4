import { type HttpError, throwIfNotOk } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { createLogger, type LogMethod } from 'bulwark/logger';
import { retry } from 'bulwark/retry';
import { describe, expectTypeOf, it } from 'vitest';

describe('HTTP outcomes are typed', () => {
  it('throwIfNotOk returns the very response type it was given', () => {
    expectTypeOf(throwIfNotOk(new Response())).toEqualTypeOf<Response>();
    expectTypeOf(throwIfNotOk({ status: 200, extra: 1 })).toEqualTypeOf<{ status: number; extra: number }>();
    expectTypeOf<HttpError['status']>().toEqualTypeOf<number>();
  });

  it('a result predicate is typed by its parameter, and one fits retry and the breaker', () => {
    const failed = (res: Response) => res.status >= 500;
    circuitBreaker({ isResultFailure: failed });
    retry({ isResultFailure: failed });
    // @ts-expect-error a predicate must return a boolean
    circuitBreaker({ isResultFailure: (res: Response) => res.status });
    // @ts-expect-error unannotated, the value is unknown: say what the work returns
    retry({ isResultFailure: (res) => res.status >= 500 });
  });
});

describe('the logger takes both call orders', () => {
  it('message first, fields first, an Error first; not two messages', () => {
    const log = createLogger();
    expectTypeOf(log.warn).toEqualTypeOf<LogMethod>();
    log.warn('retrying', { attempt: 2 });
    log.warn({ attempt: 2 }, 'retrying');
    log.error(new Error('x'), 'failed');
    // @ts-expect-error the second argument of the message-first form is fields, not a string
    log.warn('retrying', 'again');
    // @ts-expect-error a number is neither a message nor fields
    log.info(42);
  });
});
