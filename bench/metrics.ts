/** What metrics cost on the success path: a breaker with bulwark/metrics attached against one without. */

import { systemClock } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { createMetrics } from 'bulwark/metrics';
import { Registry } from 'prom-client';
import type { Comparison, Suite } from './harness.ts';

const workWithSignal = async ({ signal }: { signal: AbortSignal }): Promise<number> => (signal.aborted ? 0 : 1);

export const metricsSuite: Suite = {
  name: 'breaker with metrics, successful call',
  cases: {
    'bulwark breaker': (() => {
      const breaker = circuitBreaker({ name: 'plain' });
      return () => breaker.execute(workWithSignal);
    })(),
    // Not a target: the bare breaker plus the two clock reads that timing a call needs, the floor
    // of any observer that records each call's duration (docs/benchmarks.md).
    'bulwark breaker + two clock reads': (() => {
      const breaker = circuitBreaker({ name: 'two-reads' });
      return () => {
        systemClock.now();
        systemClock.now();
        return breaker.execute(workWithSignal);
      };
    })(),
    'bulwark breaker + metrics': (() => {
      const breaker = circuitBreaker({ name: 'observed' });
      createMetrics({ registry: new Registry() }).observe(breaker);
      return () => breaker.execute(workWithSignal);
    })(),
  },
};

export const metricsComparisons: Comparison[] = [
  { subject: 'bulwark breaker + metrics', anchor: 'bulwark breaker', target: 1.5 },
];
