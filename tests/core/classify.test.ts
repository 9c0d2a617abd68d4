import {
  CircuitOpenError,
  ConfigError,
  classify,
  isRetryable,
  PermanentError,
  RetryableError,
  TimeoutError,
} from 'bulwark';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const withProps = (message: string, props: Record<string, unknown>) => Object.assign(new Error(message), props);

describe('classify', () => {
  it.each([
    ['RetryableError', new RetryableError('x')],
    ['TimeoutError', new TimeoutError(undefined, { timeoutMs: 1 })],
    ['AbortSignal.timeout() reason', new DOMException('The operation timed out', 'TimeoutError')],
    ['ECONNRESET', withProps('read ECONNRESET', { code: 'ECONNRESET' })],
    ['ECONNREFUSED', withProps('connect ECONNREFUSED', { code: 'ECONNREFUSED' })],
    ['ETIMEDOUT', withProps('x', { code: 'ETIMEDOUT' })],
    ['EPIPE', withProps('x', { code: 'EPIPE' })],
    ['EAI_AGAIN', withProps('x', { code: 'EAI_AGAIN' })],
    ['ENETUNREACH', withProps('x', { code: 'ENETUNREACH' })],
    ['EHOSTUNREACH', withProps('x', { code: 'EHOSTUNREACH' })],
    ['ECONNABORTED', withProps('x', { code: 'ECONNABORTED' })],
    ['UND_ERR_SOCKET', withProps('other side closed', { code: 'UND_ERR_SOCKET' })],
    ['UND_ERR_CONNECT_TIMEOUT', withProps('x', { code: 'UND_ERR_CONNECT_TIMEOUT' })],
    ['UND_ERR_HEADERS_TIMEOUT', withProps('x', { code: 'UND_ERR_HEADERS_TIMEOUT' })],
    ['UND_ERR_BODY_TIMEOUT', withProps('x', { code: 'UND_ERR_BODY_TIMEOUT' })],
    ['network code on the cause', new Error('request failed', { cause: withProps('x', { code: 'ECONNRESET' }) })],
    [
      'network code two causes deep',
      new Error('a', { cause: new Error('b', { cause: withProps('c', { code: 'EPIPE' }) }) }),
    ],
    ['fetch failed', new TypeError('fetch failed', { cause: withProps('x', { code: 'UND_ERR_SOCKET' }) })],
    ['fetch failed, any cause', new TypeError('fetch failed', { cause: new Error('getaddrinfo') })],
    ['status 408', withProps('x', { status: 408 })],
    ['status 425', withProps('x', { status: 425 })],
    ['status 429', withProps('x', { status: 429 })],
    ['status 500', withProps('x', { status: 500 })],
    ['statusCode 502', withProps('x', { statusCode: 502 })],
    ['response.status 503', withProps('x', { response: { status: 503 } })],
    ['status 504', withProps('x', { status: 504 })],
    ['an unknown Error', new Error('something broke')],
  ])('%s is retryable', (_, err) => {
    expect(classify(err)).toBe('retryable');
    expect(isRetryable(err)).toBe(true);
  });

  it.each([
    ['PermanentError', new PermanentError('x')],
    ['ConfigError', new ConfigError([])],
    ['CircuitOpenError', new CircuitOpenError({ breaker: 'b', retryAfterMs: 0 })],
    ['AbortError', new DOMException('This operation was aborted', 'AbortError')],
    ['status 400', withProps('x', { status: 400 })],
    ['status 401', withProps('x', { status: 401 })],
    ['status 404', withProps('x', { statusCode: 404 })],
    ['status 422', withProps('x', { response: { status: 422 } })],
    ['status 501', withProps('x', { status: 501 })],
    ['TypeError', new TypeError('x is not a function')],
    ['RangeError', new RangeError('bad length')],
    ['ReferenceError', new ReferenceError('x is not defined')],
    ['SyntaxError', new SyntaxError('Unexpected token')],
    ['TypeError that is not fetch failing', new TypeError('fetch failed')],
    ['a string', 'boom'],
    ['undefined', undefined],
    ['null', null],
    ['a plain object with a status', { status: 503 }],
    ['a number', 42],
  ])('%s is permanent', (_, err) => {
    expect(classify(err)).toBe('permanent');
    expect(isRetryable(err)).toBe(false);
  });

  it('treats the reason of an aborted caller signal as permanent', () => {
    const controller = new AbortController();
    const reason = new Error('user navigated away');
    controller.abort(reason);
    expect(classify(reason)).toBe('retryable');
    expect(classify(reason, { signal: controller.signal })).toBe('permanent');
  });

  it('lets a typed error win over what it wraps', () => {
    const cause = withProps('x', { code: 'ECONNRESET' });
    expect(classify(new PermanentError('stop', { cause }))).toBe('permanent');
    expect(classify(new RetryableError('again', { cause: new TypeError('bug') }))).toBe('retryable');
  });

  it('survives errors with throwing getters', () => {
    const hostile = new Error('x');
    for (const key of ['status', 'statusCode', 'response', 'code', 'cause', 'name']) {
      Object.defineProperty(hostile, key, {
        get() {
          throw new Error('gotcha');
        },
      });
    }
    expect(classify(hostile)).toBe('retryable');
  });

  it('survives cause cycles', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    expect(classify(a)).toBe('retryable');
  });

  const errorLike = fc.oneof(
    fc.anything(),
    fc
      .record(
        {
          message: fc.string(),
          code: fc.oneof(fc.constantFrom('ECONNRESET', 'EPIPE', 'ENOENT', 'UND_ERR_SOCKET'), fc.anything()),
          status: fc.oneof(fc.integer({ min: 0, max: 700 }), fc.anything()),
          statusCode: fc.anything(),
          response: fc.anything(),
          name: fc.oneof(fc.constantFrom('TypeError', 'AbortError', 'TimeoutError'), fc.anything()),
          cause: fc.anything(),
        },
        { requiredKeys: ['message'] },
      )
      .map(({ message, ...props }) => Object.assign(new Error(message), props)),
  );

  it('gives every input exactly one class and never throws', () => {
    fc.assert(
      fc.property(errorLike, (err) => {
        const result = classify(err);
        expect(['retryable', 'permanent']).toContain(result);
        expect(isRetryable(err)).toBe(result === 'retryable');
      }),
      { numRuns: 2000 },
    );
  });

  it('classifies every HTTP status the same way whatever field carries it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), (status) => {
        const expected = [408, 425, 429, 500, 502, 503, 504].includes(status) ? 'retryable' : 'permanent';
        expect(classify(withProps('x', { status }))).toBe(expected);
        expect(classify(withProps('x', { statusCode: status }))).toBe(expected);
        expect(classify(withProps('x', { response: { status } }))).toBe(expected);
      }),
    );
  });
});

describe('classify: refusals', () => {
  it('a full bulkhead or a rate limit is retryable; an open circuit stays permanent', async () => {
    const { BulkheadRejectedError, RateLimitedError, RejectedError } = await import('bulwark');
    expect(classify(new BulkheadRejectedError({ policy: 'pool', retryAfterMs: 5 }))).toBe('retryable');
    expect(classify(new RateLimitedError({ policy: 'api', retryAfterMs: 5 }))).toBe('retryable');
    expect(classify(new RejectedError({ policy: 'mine', retryAfterMs: 0 }))).toBe('retryable');
    expect(classify(new CircuitOpenError({ breaker: 'b', retryAfterMs: 5 }))).toBe('permanent');
    // A refusal says when to come back, whatever it wraps.
    const wrapped = new RateLimitedError({ policy: 'api', retryAfterMs: 5, cause: { status: 404 } });
    expect(classify(wrapped)).toBe('retryable');
  });

  it.each(['BulkheadRejectedError', 'RateLimitedError'] as const)(
    'retry waits at least the retryAfterMs of a %s, whatever its backoff says',
    async (kind) => {
      const bulwark = await import('bulwark');
      const { FakeClock } = await import('bulwark/testing');
      const clock = new FakeClock();
      const Refusal = bulwark[kind];
      const policy = bulwark.retry({ attempts: 4, backoff: () => 1, clock });
      const delays: number[] = [];
      policy.on('retry', (e) => delays.push(e.delayMs));
      const times: number[] = [];
      const call = policy.execute(() => {
        times.push(clock.now());
        if (times.length < 3) throw new Refusal({ policy: 'p', retryAfterMs: 250 });
        return 'ok';
      });
      await clock.advance(1000);
      await expect(call).resolves.toBe('ok');
      expect(delays).toEqual([250, 250]);
      expect(times).toEqual([0, 250, 500]);
    },
  );
});
