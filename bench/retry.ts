/** Retry policies on the success path: what one successful call costs on top of the work. */

import { retry } from 'bulwark/retry';
import { retry as cockatielRetry, ExponentialBackoff, handleAll } from 'cockatiel';
import pRetry from 'p-retry';
import type { Comparison, Suite } from './harness.ts';

const work = async (): Promise<number> => 1;
const workWithSignal = async ({ signal }: { signal: AbortSignal }): Promise<number> => (signal.aborted ? 0 : 1);

export const retrySuite: Suite = {
  name: 'retry, successful call',
  cases: {
    'await fn()': () => work(),
    'p-retry': () => pRetry(work, { retries: 2 }),
    'cockatiel retry': (() => {
      const policy = cockatielRetry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff() });
      return () => policy.execute(workWithSignal);
    })(),
    'bulwark retry': (() => {
      const policy = retry({ attempts: 3 });
      return () => policy.execute(workWithSignal);
    })(),
  },
};

export const retryComparisons: Comparison[] = [
  { subject: 'bulwark retry', anchor: 'p-retry', target: 1.0 },
  { subject: 'bulwark retry', anchor: 'cockatiel retry', target: 1.0 },
];
