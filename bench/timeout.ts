/** Timeout policies on the success path: what one successful call costs on top of the work. */

import { timeout } from 'bulwark/timeout';
import { timeout as cockatielTimeout, TimeoutStrategy } from 'cockatiel';
import pTimeout from 'p-timeout';
import type { Comparison, Suite } from './harness.ts';

const work = async (): Promise<number> => 1;
const workWithSignal = async (signal: AbortSignal): Promise<number> => (signal.aborted ? 0 : 1);

export const timeoutSuite: Suite = {
  name: 'timeout, successful call',
  cases: {
    'await fn()': () => work(),
    'p-timeout': () => pTimeout(work(), { milliseconds: 1000 }),
    // Not a target: shows how much of p-timeout's cost is the TimeoutError it builds up front.
    'p-timeout, error built once': (() => {
      const shared = new Error('timed out');
      return () => pTimeout(work(), { milliseconds: 1000, message: shared });
    })(),
    'p-timeout + AbortController': () => {
      const controller = new AbortController();
      return pTimeout(workWithSignal(controller.signal), { milliseconds: 1000 });
    },
    'cockatiel timeout (cooperative)': (() => {
      const policy = cockatielTimeout(1000, TimeoutStrategy.Cooperative);
      return () => policy.execute(({ signal }) => workWithSignal(signal));
    })(),
    'bulwark timeout': (() => {
      const policy = timeout(1000);
      return () => policy.execute(({ signal }) => workWithSignal(signal));
    })(),
  },
};

export const timeoutComparisons: Comparison[] = [
  { subject: 'bulwark timeout', anchor: 'p-timeout', target: 0.05 },
  { subject: 'bulwark timeout', anchor: 'p-timeout + AbortController', target: 0.5 },
  { subject: 'bulwark timeout', anchor: 'cockatiel timeout (cooperative)', target: 0.5 },
];
