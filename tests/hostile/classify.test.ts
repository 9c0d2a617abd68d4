/**
 * classify, isRetryable, httpStatusOf and retryAfterMs are called on whatever a failing call threw:
 * they must answer for anything (a Proxy whose traps throw, a revoked Proxy, one in a prototype
 * chain, getters that throw), and retry must give up with the very object the work threw.
 */
import { classify, httpStatusOf, isRetryable, MAX_RETRY_AFTER_MS, retryAfterMs } from 'bulwark';
import { retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorOverProxy, hostileError, inheritingFrom, revokedProxy, throwingProxy } from '../helpers/hostile.js';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.js';

failOnUnhandledRejections();

const CLASSES = ['retryable', 'permanent'];

describe('classify and retryAfterMs on hostile errors', () => {
  it.each([
    ['a Proxy whose get trap throws', () => throwingProxy(new Error('x'), ['get'])],
    ['a Proxy whose getPrototypeOf trap throws', () => throwingProxy(new Error('x'), ['getPrototypeOf'])],
    ['a revoked Proxy', () => revokedProxy(new Error('x'))],
    ['an object over a throwing Proxy', () => inheritingFrom(throwingProxy({}, ['get', 'getPrototypeOf']))],
    ['an Error over a throwing Proxy', () => errorOverProxy()],
  ])('answers for %s without throwing', (_label, make) => {
    expect(CLASSES).toContain(classify(make()));
    expect(typeof isRetryable(make())).toBe('boolean');
    expect(httpStatusOf(make())).toBeUndefined();
    expect(retryAfterMs(make())).toBeUndefined();
  });

  it('never throws for any hostile error, and retryAfterMs stays in [0, cap]', () => {
    fc.assert(
      fc.property(hostileError(), (h) => {
        expect(CLASSES).toContain(classify(h.make()));
        expect(typeof isRetryable(h.make(), { signal: AbortSignal.abort() })).toBe('boolean');
        const status = httpStatusOf(h.make());
        expect(status === undefined || (status >= 100 && status <= 599)).toBe(true);
        const ms = retryAfterMs(h.make());
        expect(ms === undefined || (ms >= 0 && ms <= MAX_RETRY_AFTER_MS)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['seconds that overflow to Infinity', { 'retry-after': '9'.repeat(400) }],
    ['milliseconds that overflow to Infinity', { 'retry-after-ms': '9'.repeat(400) }],
    ['an Infinity number', { 'retry-after-ms': Number.POSITIVE_INFINITY }],
  ])('caps %s instead of ignoring them', (_label, headers) => {
    expect(retryAfterMs(Object.assign(new Error('429'), { status: 429, headers }))).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('retry with hostile errors', () => {
  it.each([
    ['a Proxy whose get trap throws', () => throwingProxy(new Error('x'), ['get'])],
    ['a Proxy whose getPrototypeOf trap throws', () => throwingProxy(new Error('x'), ['getPrototypeOf'])],
    ['a revoked Proxy', () => revokedProxy(new Error('x'))],
    ['an Error over a throwing Proxy', () => errorOverProxy()],
  ])('gives up with the very object the work threw: %s', async (_label, make) => {
    const thrown = make();
    // shouldRetry says yes, so retry goes on to read the error's Retry-After hint.
    const policy = retry({ attempts: 2, clock: new FakeClock(), shouldRetry: () => true, backoff: () => 0 });
    let caught: unknown;
    await policy
      .execute(() => {
        throw thrown;
      })
      .catch((err: unknown) => {
        caught = err;
      });
    expect(caught === thrown).toBe(true);
  });
});
