/**
 * Observers of the call policies: each subscribes to a primitive's events and counts into local
 * series (see series.ts), which the families write out when scraped.
 */
import type { CircuitBreaker } from '../breaker/breaker.js';
import type { Bulkhead, BulkheadRejectReason } from '../bulkhead/bulkhead.js';
import type { Unsubscribe } from '../core/listeners.js';
import type { GiveUpReason, RetryPolicy } from '../retry/retry.js';
import type { TimeoutPolicy } from '../timeout/timeout.js';
import type { Families, Observation } from './families.js';
import { CounterSeries, DurationSeries } from './series.js';

/** What an observer hands back: its series, and how to stop listening. */
export interface Observed {
  readonly observation: Observation;
  readonly stop: Unsubscribe;
}

type Constant = Readonly<Record<string, string>>;

function unsubscribeAll(offs: Unsubscribe[]): Unsubscribe {
  return () => {
    for (const off of offs) off();
  };
}

export function observeBreaker(f: Families, breaker: CircuitBreaker, constant: Constant): Observed {
  const name = breaker.name;
  const calls = (outcome: string) => new CounterSeries({ ...constant, breaker: name, outcome });
  const timed = (outcome: string) => new DurationSeries({ ...constant, policy: name, outcome });
  const success = calls('success');
  const failure = calls('failure');
  const rejected = calls('rejected');
  const ignored = calls('ignored');
  const successTime = timed('success');
  const failureTime = timed('failure');
  const ignoredTime = timed('ignored');
  const counters: Array<readonly [typeof f.breakerCalls, CounterSeries]> = [
    [f.breakerCalls, success],
    [f.breakerCalls, failure],
    [f.breakerCalls, rejected],
    [f.breakerCalls, ignored],
  ];
  const transitions = new Map<string, CounterSeries>();
  const stop = unsubscribeAll([
    breaker.on('success', (e) => {
      success.value++;
      successTime.record(e.durationMs);
    }),
    breaker.on('failure', (e) => {
      failure.value++;
      failureTime.record(e.durationMs);
    }),
    breaker.on('ignored', (e) => {
      ignored.value++;
      ignoredTime.record(e.durationMs);
    }),
    breaker.on('rejected', () => {
      rejected.value++;
    }),
    breaker.on('stateChange', ({ from, to }) => {
      const key = `${from}>${to}`;
      let series = transitions.get(key);
      if (series === undefined) {
        series = new CounterSeries({ ...constant, breaker: name, from, to });
        transitions.set(key, series);
        counters.push([f.breakerTransitions, series]);
      }
      series.value++;
    }),
  ]);
  return {
    observation: { constant, counters, durations: [successTime, failureTime, ignoredTime], breaker },
    stop,
  };
}

const GIVE_UP_REASONS: readonly GiveUpReason[] = [
  'exhausted',
  'permanent',
  'rejected',
  'budget',
  'deadline',
  'aborted',
];

export function observeRetry(f: Families, policy: RetryPolicy, constant: Constant): Observed {
  const name = policy.name;
  const attempt = (outcome: string) => new CounterSeries({ ...constant, policy: name, outcome });
  const succeeded = attempt('success');
  const failed = attempt('failure');
  const giveUps = new Map(
    GIVE_UP_REASONS.map((reason) => [reason, new CounterSeries({ ...constant, policy: name, reason })] as const),
  );
  const successTime = new DurationSeries({ ...constant, policy: name, outcome: 'success' });
  const failureTime = new DurationSeries({ ...constant, policy: name, outcome: 'failure' });
  const stop = unsubscribeAll([
    policy.on('retry', () => {
      failed.value++;
    }),
    policy.on('success', (e) => {
      succeeded.value++;
      successTime.record(e.durationMs);
    }),
    policy.on('giveUp', (e) => {
      // An attempt the caller aborted says nothing about the dependency, and one whose failure
      // led to a wait the caller then cut short was counted by its `retry` event.
      if (e.reason !== 'aborted') failed.value++;
      const series = giveUps.get(e.reason);
      if (series !== undefined) series.value++;
      failureTime.record(e.durationMs);
    }),
  ]);
  return {
    observation: {
      constant,
      counters: [
        [f.retryAttempts, succeeded],
        [f.retryAttempts, failed],
        ...[...giveUps.values()].map((s) => [f.retryGiveUps, s] as const),
      ],
      durations: [successTime, failureTime],
    },
    stop,
  };
}

export function observeTimeout(f: Families, policy: TimeoutPolicy, constant: Constant): Observed {
  const fired = new CounterSeries({ ...constant, policy: policy.name });
  const stop = policy.on('timeout', () => {
    fired.value++;
  });
  return { observation: { constant, counters: [[f.timeouts, fired]], durations: [] }, stop };
}

const BULKHEAD_REASONS: readonly BulkheadRejectReason[] = ['full', 'queue-timeout'];

export function observeBulkhead(f: Families, bulkhead: Bulkhead, constant: Constant): Observed {
  const rejected = new Map(
    BULKHEAD_REASONS.map(
      (reason) => [reason, new CounterSeries({ ...constant, bulkhead: bulkhead.name, reason })] as const,
    ),
  );
  const stop = bulkhead.on('rejected', ({ reason }) => {
    const series = rejected.get(reason);
    if (series !== undefined) series.value++;
  });
  return {
    observation: {
      constant,
      counters: [...rejected.values()].map((s) => [f.bulkheadRejected, s] as const),
      durations: [],
      bulkhead,
    },
    stop,
  };
}
