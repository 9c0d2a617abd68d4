/** Circuit breakers and whole pipelines on the success path, against cockatiel and opossum. */

import { compose } from 'bulwark';
import { circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { retry } from 'bulwark/retry';
import { timeout } from 'bulwark/timeout';
import {
  ConsecutiveBreaker,
  circuitBreaker as cockatielBreaker,
  retry as cockatielRetry,
  timeout as cockatielTimeout,
  ExponentialBackoff,
  handleAll,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import Opossum from 'opossum';
import type { Comparison, Suite } from './harness.ts';

const work = async (): Promise<number> => 1;
const workWithSignal = async ({ signal }: { signal: AbortSignal }): Promise<number> => (signal.aborted ? 0 : 1);

export const breakerSuite: Suite = {
  name: 'breaker, successful call',
  cases: {
    'await fn()': () => work(),
    'cockatiel breaker': (() => {
      const policy = cockatielBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
      return () => policy.execute(workWithSignal);
    })(),
    'opossum (no timeout)': (() => {
      const breaker = new Opossum(work, { timeout: false });
      return () => breaker.fire();
    })(),
    'bulwark breaker': (() => {
      const breaker = circuitBreaker();
      return () => breaker.execute(workWithSignal);
    })(),
  },
};

export const breakerComparisons: Comparison[] = [
  { subject: 'bulwark breaker', anchor: 'cockatiel breaker', target: 0.9 },
  { subject: 'bulwark breaker', anchor: 'opossum (no timeout)', target: 1.0 },
];

export const pipelineSuite: Suite = {
  name: 'retry + breaker + timeout, successful call',
  cases: {
    'await fn()': () => work(),
    'opossum (breaker + its timeout)': (() => {
      const breaker = new Opossum(work, { timeout: 1000 });
      return () => breaker.fire();
    })(),
    'cockatiel wrap(retry, breaker, timeout)': (() => {
      const policy = wrap(
        cockatielRetry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff() }),
        cockatielBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
        cockatielTimeout(1000, TimeoutStrategy.Cooperative),
      );
      return () => policy.execute(workWithSignal);
    })(),
    'bulwark compose(retry, breaker, timeout)': (() => {
      const policy = compose(retry({ attempts: 3 }), circuitBreaker(), timeout(1000));
      return () => policy.execute(workWithSignal);
    })(),
  },
};

export const pipelineComparisons: Comparison[] = [
  { subject: 'bulwark compose(retry, breaker, timeout)', anchor: 'opossum (breaker + its timeout)', target: 0.8 },
  {
    subject: 'bulwark compose(retry, breaker, timeout)',
    anchor: 'cockatiel wrap(retry, breaker, timeout)',
    target: 0.15,
  },
];

const refused = (): number => 0;
const down = async (): Promise<number> => {
  throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
};
const LONG_MS = 2 ** 31 - 1;

/**
 * The overload path: a breaker that is open refuses at once. Each is tripped by one real failure
 * and stays open for the whole run; the refusal is caught, as a caller would.
 */
export const refusalSuite: Suite = {
  name: 'breaker, call refused while open',
  cases: {
    'await fn()': () => work(),
    'cockatiel refusal': (() => {
      const policy = cockatielBreaker(handleAll, { halfOpenAfter: LONG_MS, breaker: new ConsecutiveBreaker(1) });
      policy.execute(down).catch(refused);
      return () => policy.execute(workWithSignal).catch(refused);
    })(),
    'opossum refusal': (() => {
      const breaker = new Opossum(down, { timeout: false, resetTimeout: LONG_MS, volumeThreshold: 0 });
      breaker.open();
      return () => breaker.fire().catch(refused);
    })(),
    'bulwark refusal': (() => {
      const breaker = circuitBreaker({ trip: consecutiveFailures(1), openMs: LONG_MS });
      breaker.execute(down).catch(refused);
      return () => breaker.execute(workWithSignal).catch(refused);
    })(),
  },
};

export const refusalComparisons: Comparison[] = [
  { subject: 'bulwark refusal', anchor: 'cockatiel refusal', target: 0.5 },
  { subject: 'bulwark refusal', anchor: 'opossum refusal', target: 0.5 },
];
