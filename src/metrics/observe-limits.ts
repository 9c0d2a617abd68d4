/**
 * Observers of the rate limiter, the fallback and the hedge: each counts their events into local
 * series, as the other observers do (see observe-policies.ts).
 */
import type { FallbackPolicy } from '../fallback/fallback.js';
import type { HedgePolicy } from '../hedge/hedge.js';
import type { RateLimitPolicy } from '../rate-limit/rate-limit.js';
import type { Families } from './families.js';
import type { Observed } from './observe-policies.js';
import { CounterSeries } from './series.js';

type Constant = Readonly<Record<string, string>>;

export function observeRateLimit(f: Families, limiter: RateLimitPolicy, constant: Constant): Observed {
  const granted = new CounterSeries({ ...constant, policy: limiter.name, outcome: 'granted' });
  const rejected = new CounterSeries({ ...constant, policy: limiter.name, outcome: 'rejected' });
  const offGranted = limiter.on('granted', () => {
    granted.value++;
  });
  const offRejected = limiter.on('rejected', () => {
    rejected.value++;
  });
  return {
    observation: {
      constant,
      counters: [
        [f.rateLimitPermits, granted],
        [f.rateLimitPermits, rejected],
      ],
      durations: [],
      rateLimit: limiter,
    },
    stop: () => {
      offGranted();
      offRejected();
    },
  };
}

export function observeFallback(f: Families, policy: FallbackPolicy<unknown>, constant: Constant): Observed {
  const used = new CounterSeries({ ...constant, policy: policy.name });
  const stop = policy.on('fallback', () => {
    used.value++;
  });
  return { observation: { constant, counters: [[f.fallbacks, used]], durations: [] }, stop };
}

export function observeHedge(f: Families, policy: HedgePolicy, constant: Constant): Observed {
  const started = new CounterSeries({ ...constant, policy: policy.name });
  const won = new CounterSeries({ ...constant, policy: policy.name });
  const offHedge = policy.on('hedge', () => {
    started.value++;
  });
  const offWon = policy.on('won', () => {
    won.value++;
  });
  return {
    observation: {
      constant,
      counters: [
        [f.hedges, started],
        [f.hedgesWon, won],
      ],
      durations: [],
    },
    stop: () => {
      offHedge();
      offWon();
    },
  };
}
