import { MAX_RETRY_AFTER_MS, RetryableError, retryAfterMs } from 'bulwark';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const withHeaders = (headers: unknown) => Object.assign(new Error('429'), { status: 429, headers });
const NOW = Date.parse('2026-11-22T10:00:00Z');

describe('retryAfterMs', () => {
  it('reads RetryableError.retryAfterMs', () => {
    expect(retryAfterMs(new RetryableError('x', { retryAfterMs: 750 }))).toBe(750);
    expect(retryAfterMs(new RetryableError('x'))).toBeUndefined();
  });

  it('reads delta seconds from a plain object, a Headers and a Map, case-insensitively', () => {
    expect(retryAfterMs(withHeaders({ 'Retry-After': '3' }))).toBe(3000);
    expect(retryAfterMs(withHeaders(new Headers({ 'retry-after': '7' })))).toBe(7000);
    expect(retryAfterMs(withHeaders(new Map([['RETRY-AFTER', '2']])))).toBe(2000);
    expect(retryAfterMs(withHeaders({ 'retry-after': ['5', '9'] }))).toBe(5000);
    expect(retryAfterMs(withHeaders({ 'retry-after': 4 }))).toBe(4000);
  });

  it('reads the headers of error.response', () => {
    const err = Object.assign(new Error('503'), {
      response: { status: 503, headers: new Headers({ 'Retry-After': '1' }) },
    });
    expect(retryAfterMs(err)).toBe(1000);
  });

  it('reads an HTTP date against the wall clock, and a past date as 0', () => {
    expect(retryAfterMs(withHeaders({ 'retry-after': 'Sun, 22 Nov 2026 10:00:30 GMT' }), { now: NOW })).toBe(30_000);
    expect(retryAfterMs(withHeaders({ 'retry-after': 'Sun, 22 Nov 2026 09:00:00 GMT' }), { now: NOW })).toBe(0);
  });

  it('prefers retry-after-ms when both are present', () => {
    expect(retryAfterMs(withHeaders({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
  });

  it('ignores garbage and caps absurd values at 24 h', () => {
    expect(retryAfterMs(withHeaders({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(withHeaders({ 'retry-after': '-5' }))).toBeUndefined();
    expect(retryAfterMs(withHeaders({}))).toBeUndefined();
    expect(retryAfterMs(withHeaders({ 'retry-after': '99999999999' }))).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs(new Error('no headers'))).toBeUndefined();
    expect(retryAfterMs('not an error')).toBeUndefined();
  });

  it('never returns a negative, NaN or over-cap number, for any header value', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.integer(),
          fc.double(),
          fc.date().map((d) => d.toUTCString()),
          fc.anything(),
        ),
        (value) => {
          const result = retryAfterMs(withHeaders({ 'retry-after': value }), { now: NOW });
          if (result !== undefined) {
            expect(Number.isFinite(result)).toBe(true);
            expect(result).toBeGreaterThanOrEqual(0);
            expect(result).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
