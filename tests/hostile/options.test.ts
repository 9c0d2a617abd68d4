/**
 * An options object is the user's: it may be a Proxy whose traps throw or have a getter that
 * throws. Every factory then throws a TypeError that names itself and the option (or says the
 * object could not be read), with the original error as its cause, never the bare error.
 */
import { policies } from 'bulwark';
import { circuitBreaker, failureRate } from 'bulwark/breaker';
import { adaptiveLimit, bulkhead } from 'bulwark/bulkhead';
import { loadConfig } from 'bulwark/config';
import { hedge } from 'bulwark/hedge';
import { createLogger } from 'bulwark/logger';
import { rateLimit } from 'bulwark/rate-limit';
import { retry, retryBudget } from 'bulwark/retry';
import { timeout } from 'bulwark/timeout';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HostileTrapError, throwingProxy } from '../helpers/hostile.js';

const FACTORIES: Array<[string, (options: never) => unknown, object]> = [
  ['timeout', timeout as never, { ms: 100 }],
  ['retry', retry as never, { attempts: 2 }],
  ['retryBudget', retryBudget as never, { ratio: 0.1 }],
  ['circuitBreaker', circuitBreaker as never, { openMs: 100 }],
  ['failureRate', failureRate as never, { threshold: 0.5 }],
  ['bulkhead', bulkhead as never, { limit: 2 }],
  ['adaptiveLimit', adaptiveLimit as never, { initial: 2 }],
  ['rateLimit', rateLimit as never, { limit: 2, windowMs: 1000 }],
  ['hedge', hedge as never, { delayMs: 10 }],
  ['policies', policies as never, { create: () => timeout(10) }],
  ['createLogger', createLogger as never, { level: 'info' }],
  ['loadConfig', loadConfig as never, { schema: z.object({}) }],
];

describe('hostile options objects', () => {
  it.each(FACTORIES)('%s: a Proxy whose traps throw is refused by name', (name, factory, valid) => {
    let error: unknown;
    try {
      factory(throwingProxy({ ...valid }) as never);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(new RegExp(`^${name}\\b.*could not be read`));
    expect((error as Error).cause).toBeInstanceOf(HostileTrapError);
  });

  it.each(FACTORIES)('%s: a getter that throws is refused with the option named', (name, factory, valid) => {
    const [key] = Object.keys(valid) as [string];
    const options = Object.defineProperty({ ...valid }, key, {
      enumerable: true,
      get() {
        throw new Error('getter says no');
      },
    });
    expect(() => factory(options as never)).toThrow(
      new RegExp(`^${name}\\b.*option "${key}" could not be read: getter says no`),
    );
  });

  it('retryBudget({ store: null }) names the option, like every other bad store', () => {
    expect(() => retryBudget({ store: null as never })).toThrow(
      /retryBudget: option "store" must be a RetryBudgetStore/,
    );
  });

  it('retry refuses a finite attempts that bounds nothing: more than 10,000 needs Infinity and maxElapsedMs', () => {
    for (const attempts of [1e308, 2 ** 31, 10_001]) {
      expect(() => retry({ attempts })).toThrow(/"attempts" must be a whole number from 1 to 10000/);
    }
    expect(retry({ attempts: 10_000 }).kind).toBe('retry');
    expect(retry({ attempts: Number.POSITIVE_INFINITY, maxElapsedMs: 1000 }).kind).toBe('retry');
  });
});
