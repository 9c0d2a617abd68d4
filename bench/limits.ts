/**
 * The rate limiter, the fallback and the hedge on their hot paths, against rate-limiter-flexible
 * and cockatiel; and the heap that 10,000 rate limiters take.
 */

import { fallback } from 'bulwark/fallback';
import { hedge } from 'bulwark/hedge';
import { memoryRateLimitStore, type RateLimitPolicy, rateLimit } from 'bulwark/rate-limit';
import { fallback as cockatielFallback, handleAll } from 'cockatiel';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Comparison, Suite } from './harness.ts';
import { heapUsed, type MemoryRow } from './memory.ts';

const work = async (): Promise<number> => 1;
const failing = async (): Promise<number> => {
  throw new Error('down');
};

// A limit no bench run can exhaust: the success path is measured, never a refusal.
const UNLIMITED = 1_000_000_000;

export const rateLimitSuite: Suite = {
  name: 'rate limit, call with a permit',
  cases: {
    'await fn()': () => work(),
    'rate-limiter-flexible consume, then fn()': (() => {
      const limiter = new RateLimiterMemory({ points: UNLIMITED, duration: 1 });
      return () => limiter.consume('api').then(work);
    })(),
    'bulwark rateLimit': (() => {
      const limiter = rateLimit({ name: 'api', limit: UNLIMITED, windowMs: 1000 });
      return () => limiter.execute(work);
    })(),
    'bulwark rateLimit.forKey(tenant)': (() => {
      const limiter = rateLimit({ name: 'api', limit: UNLIMITED, windowMs: 1000 });
      const tenants = Array.from({ length: 100 }, (_, i) => `tenant-${i}`);
      let i = 0;
      return () => limiter.forKey(tenants[i++ % 100] as string).execute(work);
    })(),
  },
};

export const rateLimitComparisons: Comparison[] = [
  { subject: 'bulwark rateLimit', anchor: 'rate-limiter-flexible consume, then fn()', target: 1.0 },
];

export const rateLimitRefusedSuite: Suite = {
  name: 'rate limit, refused (no permit)',
  cases: {
    'rate-limiter-flexible consume (rejects with a result object)': (() => {
      const limiter = new RateLimiterMemory({ points: 1, duration: 3600 });
      void limiter.consume('api');
      return () => limiter.consume('api').then(work, () => 0);
    })(),
    'bulwark rateLimit (rejects with RateLimitedError)': (() => {
      const limiter = rateLimit({ name: 'api', limit: 1, windowMs: 3_600_000 });
      void limiter.execute(work);
      return () => limiter.execute(work).catch(() => 0);
    })(),
  },
};

export const rateLimitRefusedComparisons: Comparison[] = [
  {
    subject: 'bulwark rateLimit (rejects with RateLimitedError)',
    anchor: 'rate-limiter-flexible consume (rejects with a result object)',
    target: 2.0,
  },
];

export const fallbackSuite: Suite = {
  name: 'fallback, successful call',
  cases: {
    'await fn()': () => work(),
    'cockatiel fallback': (() => {
      const policy = cockatielFallback(handleAll, 0);
      return () => policy.execute(work);
    })(),
    'bulwark fallback': (() => {
      const policy = fallback({ value: 0 });
      return () => policy.execute(work);
    })(),
  },
};

export const fallbackComparisons: Comparison[] = [
  { subject: 'bulwark fallback', anchor: 'cockatiel fallback', target: 1.0 },
];

export const fallbackUsedSuite: Suite = {
  name: 'fallback, failed call answered',
  cases: {
    'cockatiel fallback': (() => {
      const policy = cockatielFallback(handleAll, 0);
      return () => policy.execute(failing);
    })(),
    'bulwark fallback': (() => {
      const policy = fallback({ value: 0 });
      return () => policy.execute(failing);
    })(),
  },
};

export const fallbackUsedComparisons: Comparison[] = [
  { subject: 'bulwark fallback', anchor: 'cockatiel fallback', target: 1.0 },
];

/** No Node library hedges; the hedge is measured against the floor (its cost is one armed timer). */
export const hedgeSuite: Suite = {
  name: 'hedge, first attempt answers before delayMs',
  cases: {
    'await fn()': () => work(),
    'bulwark hedge': (() => {
      const policy = hedge({ delayMs: 1000 });
      return () => policy.execute(work);
    })(),
  },
};

/** 10,000 rate limiters, one per tenant, each with a permit taken (so each holds its state). */
export async function measureRateLimitMemory(): Promise<MemoryRow[]> {
  const budgetBytes = 5 * 1024 * 1024;
  // Keyed first: measured after the 10,000 limiters, their garbage made the difference negative.
  let before = heapUsed();
  const store = memoryRateLimitStore();
  const shared = rateLimit({ name: 'tenants', limit: 100, windowMs: 60_000, store });
  for (let i = 0; i < 10_000; i++) await shared.forKey(`tenant-${i}`).execute(work);
  const keyed = heapUsed() - before;
  if (store.size !== 10_000) throw new Error(`expected 10,000 keys, got ${store.size}`);

  before = heapUsed();
  const limiters: RateLimitPolicy[] = [];
  for (let i = 0; i < 10_000; i++) limiters.push(rateLimit({ name: `tenant-${i}`, limit: 100, windowMs: 60_000 }));
  for (const limiter of limiters) await limiter.execute(work);
  const separate = heapUsed() - before;
  if (limiters.length !== 10_000) throw new Error('unreachable');

  return [
    { what: '10,000 rate limiters (one per tenant), a permit taken on each', bytes: separate, budgetBytes },
    { what: 'one rate limiter, forKey over 10,000 tenants, a permit taken on each', bytes: keyed, budgetBytes },
  ];
}
