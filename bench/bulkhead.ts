/**
 * Bulkheads against cockatiel's: the success path with room to run, and a refusal when full
 * (the overload path, where a refusal must cost less than the call it replaces).
 */

import { adaptiveLimit, bulkhead } from 'bulwark/bulkhead';
import { bulkhead as cockatielBulkhead } from 'cockatiel';
import type { Comparison, Results, Suite } from './harness.ts';

const work = async (): Promise<number> => 1;
const workWithSignal = async ({ signal }: { signal: AbortSignal }): Promise<number> => (signal.aborted ? 0 : 1);
const never = () => new Promise<number>(() => {});
const swallow = () => 0;

export const bulkheadSuite: Suite = {
  name: 'bulkhead, successful call',
  cases: {
    'await fn()': () => work(),
    'cockatiel bulkhead': (() => {
      const policy = cockatielBulkhead(10, 0);
      return () => policy.execute(workWithSignal);
    })(),
    'bulwark bulkhead': (() => {
      const policy = bulkhead({ limit: 10 });
      return () => policy.execute(workWithSignal);
    })(),
    // An adaptive limit reads the clock twice per call to learn from its duration.
    'bulwark bulkhead, adaptive limit': (() => {
      const policy = bulkhead({ limit: adaptiveLimit({ initial: 10 }) });
      return () => policy.execute(workWithSignal);
    })(),
  },
};

export const bulkheadRejectSuite: Suite = {
  name: 'bulkhead full, refused call',
  cases: {
    'await fn()': () => work(),
    'cockatiel bulkhead': (() => {
      const policy = cockatielBulkhead(1, 0);
      void policy.execute(never);
      return () => policy.execute(workWithSignal).catch(swallow);
    })(),
    'bulwark bulkhead': (() => {
      const policy = bulkhead({ limit: 1 });
      void policy.execute(never);
      return () => policy.execute(workWithSignal).catch(swallow);
    })(),
  },
};

export const bulkheadComparisons: Comparison[] = [
  { subject: 'bulwark bulkhead', anchor: 'cockatiel bulkhead', target: 1.0 },
];
export const bulkheadRejectComparisons: Comparison[] = [
  { subject: 'bulwark bulkhead', anchor: 'cockatiel bulkhead', target: 1.0 },
];

/** What each bulkhead adds above the `await fn()` floor, per successful call. */
export function printBulkheadCost({ cases }: Results): void {
  const floor = cases.get(`${bulkheadSuite.name} :: await fn()`) ?? 0;
  console.log('');
  for (const name of Object.keys(bulkheadSuite.cases)) {
    if (name === 'await fn()') continue;
    const ns = cases.get(`${bulkheadSuite.name} :: ${name}`);
    if (ns !== undefined) console.log(`${name}: ${(ns - floor).toFixed(0)} ns above the await fn() floor`);
  }
}
