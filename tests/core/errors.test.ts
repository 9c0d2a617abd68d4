import {
  CircuitOpenError,
  ConfigError,
  isResilienceError,
  PermanentError,
  ResilienceError,
  RetryableError,
  TimeoutError,
} from 'bulwark';
import { describe, expect, it, vi } from 'vitest';

describe('error family', () => {
  it('gives every class a stable code, its name, and the base class', () => {
    const cases = [
      [new ResilienceError('x'), 'ERR_RESILIENCE', 'ResilienceError'],
      [new RetryableError('x'), 'ERR_RETRYABLE', 'RetryableError'],
      [new PermanentError('x'), 'ERR_PERMANENT', 'PermanentError'],
      [new TimeoutError(undefined, { timeoutMs: 5 }), 'ERR_TIMEOUT', 'TimeoutError'],
      [new CircuitOpenError({ breaker: 'db', retryAfterMs: 10 }), 'ERR_CIRCUIT_OPEN', 'CircuitOpenError'],
      [new ConfigError([]), 'ERR_CONFIG', 'ConfigError'],
    ] as const;
    for (const [error, code, name] of cases) {
      expect(error.code).toBe(code);
      expect(error.name).toBe(name);
      expect(error).toBeInstanceOf(ResilienceError);
      expect(error).toBeInstanceOf(Error);
      expect(isResilienceError(error)).toBe(true);
      expect(String(error.stack)).toContain(name);
    }
  });

  it('keeps the cause', () => {
    const root = new Error('socket hang up');
    expect(new RetryableError('upstream failed', { cause: root }).cause).toBe(root);
    expect(new PermanentError('bad', { cause: root }).cause).toBe(root);
    expect(new TimeoutError('slow', { timeoutMs: 1, cause: root }).cause).toBe(root);
    expect('cause' in new PermanentError('no cause')).toBe(false);
  });

  it('does not confuse sibling classes', () => {
    expect(new RetryableError('x')).not.toBeInstanceOf(PermanentError);
    expect(new TimeoutError(undefined, { timeoutMs: 1 })).not.toBeInstanceOf(RetryableError);
    expect(new Error('plain')).not.toBeInstanceOf(ResilienceError);
    expect(isResilienceError(new Error('plain'))).toBe(false);
    expect(isResilienceError({ code: 'ERR_TIMEOUT' })).toBe(false);
    expect(isResilienceError(null)).toBe(false);
  });

  it('lets users subclass, with instanceof working both ways', () => {
    class RateLimited extends RetryableError {}
    const error = new RateLimited('slow down', { retryAfterMs: 100 });
    expect(error).toBeInstanceOf(RateLimited);
    expect(error).toBeInstanceOf(RetryableError);
    expect(new RetryableError('x')).not.toBeInstanceOf(RateLimited);
    expect(error.retryAfterMs).toBe(100);
  });

  it('answers instanceof for errors made by another copy of the package', async () => {
    vi.resetModules();
    const other = (await import('bulwark')) as typeof import('bulwark');
    expect(other.TimeoutError).not.toBe(TimeoutError);
    const foreign = new other.TimeoutError(undefined, { timeoutMs: 50 });
    expect(foreign).toBeInstanceOf(TimeoutError);
    expect(foreign).toBeInstanceOf(ResilienceError);
    expect(foreign).not.toBeInstanceOf(PermanentError);
    expect(new PermanentError('x')).toBeInstanceOf(other.PermanentError);
    expect(isResilienceError(new other.ConfigError([]))).toBe(true);
  });

  it('carries the fields of each kind', () => {
    expect(new TimeoutError(undefined, { timeoutMs: 250 }).message).toBe('timed out after 250 ms');
    const open = new CircuitOpenError({ breaker: 'payments', retryAfterMs: 1500.2 });
    expect(open.breaker).toBe('payments');
    expect(open.retryAfterMs).toBe(1500.2);
    expect(open.message).toBe('circuit breaker "payments" is open; retry in 1501 ms');
  });

  it('refuses a retryAfterMs that is negative, NaN or not a number, naming the option', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '100']) {
      expect(() => new RetryableError('x', { retryAfterMs: bad as number })).toThrow(
        /RetryableError: option "retryAfterMs" must be a finite number of milliseconds >= 0; got/,
      );
    }
    expect(() => new RetryableError('x', { retryAfterMs: '100' as unknown as number })).toThrow(/"100" \(string\)/);
  });

  it('lists every config issue in the message', () => {
    const error = new ConfigError([
      { path: 'db.url', source: 'env APP_DB__URL', message: 'Required' },
      { path: 'port', source: 'file config/app.yaml:3', message: 'Expected number, received string' },
    ]);
    expect(error.issues).toHaveLength(2);
    expect(error.message).toBe(
      'invalid configuration (2 problems):\n' +
        '  - db.url (env APP_DB__URL): Required\n' +
        '  - port (file config/app.yaml:3): Expected number, received string',
    );
    expect(Object.isFrozen(error.issues)).toBe(true);
  });
});
