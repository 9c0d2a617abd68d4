/** Circuit breakers and whole pipelines on the success path, against cockatiel and opossum. */

import { compose } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
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
  { subject: 'bulwark breaker', anchor: 'cockatiel breaker', target: 1.0 },
  { subject: 'bulwark breaker', anchor: 'opossum (no timeout)', target: 1.0 },
];

export const pipelineSuite: Suite = {
  name: 'retry + breaker + timeout, successful call',
  cases: {
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
  { subject: 'bulwark compose(retry, breaker, timeout)', anchor: 'opossum (breaker + its timeout)', target: 1.0 },
  {
    subject: 'bulwark compose(retry, breaker, timeout)',
    anchor: 'cockatiel wrap(retry, breaker, timeout)',
    target: 0.2,
  },
];
