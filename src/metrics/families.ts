/**
 * The metric families of one registry and prefix, shared by every `createMetrics` on them, and
 * what they observe. Gauges read state when scraped; counters and the histogram add what the
 * observers counted since the last scrape.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type CounterSeries, DURATION_BUCKETS_SECONDS, type DurationSeries, indexEntries } from './series.js';

/** A breaker as the state gauge sees it. */
export interface StateSource {
  readonly name: string;
  readonly state: string;
}

/** A bulkhead as its gauges see it. */
export interface BulkheadSource {
  readonly name: string;
  stats(): { readonly active: number; readonly queued: number; readonly limit: number };
}

/** A health checker as its gauges see it. */
export interface HealthSource {
  status(): {
    readonly checks: Readonly<
      Record<string, { readonly status: string; readonly durationMs?: number | null | undefined }>
    >;
  };
}

/** One observed thing's series and readers, owned by the observer that made them. */
export interface Observation {
  readonly constant: Readonly<Record<string, string>>;
  readonly counters: ReadonlyArray<readonly [Counter, CounterSeries]>;
  readonly durations: readonly DurationSeries[];
  readonly breaker?: StateSource;
  readonly bulkhead?: BulkheadSource;
  readonly health?: HealthSource;
  readonly config?: { readonly generation: number };
  /** A rate limiter, read by the waiting gauge. */
  readonly rateLimit?: { readonly name: string; stats(): { readonly waiting: number } };
  /** A Redis store (`bulwark/redis`), read by the shared gauge. */
  readonly redisStore?: { readonly prefix: string; readonly mode: string };
}

/** The families of one registry and prefix. */
export interface Families {
  readonly prefix: string;
  readonly constantNames: readonly string[];
  readonly counters: readonly Counter[];
  readonly duration: Histogram;
  readonly breakerCalls: Counter;
  readonly breakerTransitions: Counter;
  readonly retryAttempts: Counter;
  readonly retryGiveUps: Counter;
  readonly timeouts: Counter;
  readonly bulkheadRejected: Counter;
  readonly configReloads: Counter;
  readonly rateLimitPermits: Counter;
  readonly fallbacks: Counter;
  readonly hedges: Counter;
  readonly hedgesWon: Counter;
  readonly redisFallbacks: Counter;
  /** Everything observed, by the object observed. */
  readonly observed: Map<object, Observation>;
  /** How many live observations count into each counter or histogram series, by its labels. */
  readonly seriesUsers: Map<string, number>;
  /** Duration series in use: `duration \0 constant label values \0 kind \0 name` to its first owner. */
  readonly names: Map<string, object>;
}

const TAG = Symbol.for('bulwark.metrics.families');
const STATES = ['closed', 'open', 'half-open', 'isolated'] as const;
/** Worse is higher: the order breakers sharing a name are summed up by. */
const STATE_RANK: Readonly<Record<string, number>> = { closed: 0, 'half-open': 1, open: 2, isolated: 3 };
const HEALTH_VALUE: Readonly<Record<string, number>> = { pass: 1, warn: 0.5, fail: 0 };

/** Every metric name, without the prefix, in registration order. */
export const METRIC_NAMES = [
  'circuit_breaker_state',
  'circuit_breaker_calls_total',
  'circuit_breaker_transitions_total',
  'retry_attempts_total',
  'retry_giveups_total',
  'timeouts_total',
  'bulkhead_active',
  'bulkhead_queued',
  'bulkhead_limit',
  'bulkhead_rejected_total',
  'call_duration_seconds',
  'health_check_status',
  'health_check_duration_seconds',
  'config_reloads_total',
  'config_generation',
  'rate_limit_permits_total',
  'rate_limit_waiting',
  'fallbacks_total',
  'hedges_total',
  'hedges_won_total',
  'redis_store_shared',
  'redis_store_fallbacks_total',
] as const;

type Tagged = { [TAG]?: Families };

/**
 * The families for `prefix` on `registry`: the ones an earlier `createMetrics` made there, or new
 * ones. A metric of one of these names that bulwark did not make, or made with other constant
 * label names, is an error that says which.
 */
export function familiesOn(registry: Registry, prefix: string, constantNames: readonly string[]): Families {
  const found = METRIC_NAMES.map((name) => registry.getSingleMetric(prefix + name) as Tagged | undefined);
  if (found.every((m) => m === undefined)) return create(registry, prefix, constantNames);
  const first = found.map((m) => m?.[TAG]).find((tag) => tag !== undefined);
  const foreign = METRIC_NAMES.filter((_, i) => found[i] !== undefined && found[i]?.[TAG] !== first);
  if (first === undefined || foreign.length > 0) {
    throw new Error(
      `createMetrics: the registry already has metrics named ${(first === undefined ? METRIC_NAMES.filter((_, i) => found[i] !== undefined) : foreign).map((n) => prefix + n).join(', ')} that bulwark/metrics did not make; pass another "prefix" or "registry", or remove them first`,
    );
  }
  const missing = METRIC_NAMES.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `createMetrics: the registry has bulwark's metrics with prefix "${prefix}" but not ${missing.map((n) => prefix + n).join(', ')}, which were removed from it; clear the registry, or pass another "prefix"`,
    );
  }
  if (first.constantNames.join() !== constantNames.join()) {
    throw new Error(
      `createMetrics: the registry already has bulwark metrics with prefix "${prefix}" and constant labels [${first.constantNames.join(', ')}]; got [${constantNames.join(', ')}]. Use the same label names (values may differ), or another "prefix" or "registry"`,
    );
  }
  return first;
}

function create(registry: Registry, prefix: string, constantNames: readonly string[]): Families {
  const registers = [registry];
  const labelNames = (...own: string[]) => [...constantNames, ...own];
  const observed = new Map<object, Observation>();
  const all = () => observed.values();
  /** Every observed checker's last result of each check, with the labels of its series. */
  function* healthResults() {
    for (const o of all()) {
      for (const [check, result] of Object.entries(o.health?.status().checks ?? {})) {
        yield [{ ...o.constant, check }, result] as const;
      }
    }
  }

  // Registered first: reading a breaker's state can move it to half-open, and the transition it
  // emits must be counted before the transitions counter is written out.
  const state = new Gauge({
    name: `${prefix}circuit_breaker_state`,
    help: 'Circuit breaker state: 1 for the state it is in, 0 for the others.',
    labelNames: labelNames('breaker', 'state'),
    registers,
    collect() {
      this.reset();
      // Breakers sharing a name share a series: it shows the worst of their states.
      const worst = new Map<string, { labels: Readonly<Record<string, string>>; rank: number }>();
      for (const o of all()) {
        if (o.breaker === undefined) continue;
        const labels = { ...o.constant, breaker: o.breaker.name };
        const key = JSON.stringify(labels);
        const rank = STATE_RANK[o.breaker.state] ?? 0;
        const seen = worst.get(key);
        if (seen === undefined || rank > seen.rank) worst.set(key, { labels, rank });
      }
      for (const { labels, rank } of worst.values()) {
        for (const s of STATES) this.set({ ...labels, state: s }, STATE_RANK[s] === rank ? 1 : 0);
      }
    },
  });
  const counters: Counter[] = [];
  const counter = (name: string, help: string, own: string[], readState = false): Counter => {
    const c = new Counter({
      name: `${prefix}${name}`,
      help,
      labelNames: labelNames(...own),
      registers,
      collect() {
        for (const o of all()) {
          if (readState) void o.breaker?.state;
          for (const [target, series] of o.counters) if (target === c) series.flush(c);
        }
      },
    });
    counters.push(c);
    return c;
  };
  const breakerCalls = counter(
    'circuit_breaker_calls_total',
    'Calls through a circuit breaker, by outcome: success, failure, rejected (refused while open), ignored (not counted).',
    ['breaker', 'outcome'],
  );
  const breakerTransitions = counter(
    'circuit_breaker_transitions_total',
    'Circuit breaker state changes, by the state left and the state entered.',
    ['breaker', 'from', 'to'],
    true,
  );
  const retryAttempts = counter(
    'retry_attempts_total',
    'Attempts made by a retry policy, by outcome: success or failure.',
    ['policy', 'outcome'],
  );
  const retryGiveUps = counter(
    'retry_giveups_total',
    'Calls a retry policy gave up on, by reason: exhausted, permanent, rejected (a breaker, bulkhead or rate limit inside refused), budget, deadline, aborted.',
    ['policy', 'reason'],
  );
  const timeouts = counter('timeouts_total', 'Calls a timeout policy cut off.', ['policy']);
  const bulkheadGauge = (name: string, help: string, read: (s: ReturnType<BulkheadSource['stats']>) => number) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: labelNames('bulkhead'),
      registers,
      collect() {
        this.reset();
        // Bulkheads of one name share their series: their gauges add up, like their counts.
        for (const o of all()) {
          if (o.bulkhead !== undefined)
            this.inc({ ...o.constant, bulkhead: o.bulkhead.name }, read(o.bulkhead.stats()));
        }
      },
    });
  bulkheadGauge('bulkhead_active', 'Calls running in a bulkhead now.', (s) => s.active);
  bulkheadGauge('bulkhead_queued', 'Calls waiting for a place in a bulkhead now.', (s) => s.queued);
  bulkheadGauge(
    'bulkhead_limit',
    'Concurrency limit of a bulkhead now; an adaptive limit moves with measured latency.',
    (s) => s.limit,
  );
  const bulkheadRejected = counter(
    'bulkhead_rejected_total',
    'Calls a bulkhead refused, by reason: full (every place and the queue taken) or queue-timeout (waited queueTimeoutMs).',
    ['bulkhead', 'reason'],
  );
  const duration = new Histogram({
    name: `${prefix}call_duration_seconds`,
    help: 'Duration of calls: each call a breaker ran, and each whole call of a retry policy (waits included), by outcome.',
    labelNames: labelNames('policy', 'outcome'),
    buckets: [...DURATION_BUCKETS_SECONDS],
    registers,
    collect() {
      const entries = indexEntries(this);
      for (const o of all()) for (const series of o.durations) series.flush(this, entries);
    },
  });
  new Gauge({
    name: `${prefix}health_check_status`,
    help: 'Health check status: 1 pass, 0.5 warn, 0 fail.',
    labelNames: labelNames('check'),
    registers,
    collect() {
      this.reset();
      // Checks of one name in two checkers share a series: it shows the worse status.
      const worst = new Map<string, { labels: Readonly<Record<string, string>>; value: number }>();
      for (const [labels, result] of healthResults()) {
        const value = HEALTH_VALUE[result.status];
        const key = JSON.stringify(labels);
        if (value !== undefined && !((worst.get(key)?.value ?? 2) <= value)) worst.set(key, { labels, value });
      }
      for (const { labels, value } of worst.values()) this.set(labels, value);
    },
  });
  new Gauge({
    name: `${prefix}health_check_duration_seconds`,
    help: 'How long the last run of a health check took.',
    labelNames: labelNames('check'),
    registers,
    collect() {
      this.reset();
      for (const [labels, result] of healthResults()) {
        if (typeof result.durationMs === 'number') this.set(labels, result.durationMs / 1000);
      }
    },
  });
  const configReloads = counter(
    'config_reloads_total',
    'Configuration reloads, by result: success (a change applied) or failure (a change refused).',
    ['result'],
  );
  new Gauge({
    name: `${prefix}config_generation`,
    help: 'Generation of the configuration in use; it goes up by one with each change applied.',
    labelNames: labelNames(),
    registers,
    collect() {
      this.reset();
      for (const o of all()) if (o.config !== undefined) this.set({ ...o.constant }, o.config.generation);
    },
  });

  const rateLimitPermits = counter(
    'rate_limit_permits_total',
    'Permits asked of a rate limiter, by outcome: granted (at once or after a wait) or rejected.',
    ['policy', 'outcome'],
  );
  new Gauge({
    name: `${prefix}rate_limit_waiting`,
    help: 'Calls waiting for a rate limiter permit now (only with maxWaitMs).',
    labelNames: labelNames('policy'),
    registers,
    collect() {
      this.reset();
      // Rate limiters of one name share their series: the calls waiting add up.
      for (const o of all()) {
        if (o.rateLimit !== undefined)
          this.inc({ ...o.constant, policy: o.rateLimit.name }, o.rateLimit.stats().waiting);
      }
    },
  });
  const fallbacks = counter('fallbacks_total', 'Failed calls a fallback policy answered instead.', ['policy']);
  const hedges = counter('hedges_total', 'Extra attempts a hedge policy started because the first was slow.', [
    'policy',
  ]);
  const hedgesWon = counter(
    'hedges_won_total',
    'Calls an extra attempt of a hedge policy won (it succeeded before the first).',
    ['policy'],
  );
  new Gauge({
    name: `${prefix}redis_store_shared`,
    help: 'A Redis store (bulwark/redis): 1 while limits are shared through Redis, 0 while each replica decides alone.',
    labelNames: labelNames('store'),
    registers,
    collect() {
      this.reset();
      for (const o of all()) {
        if (o.redisStore !== undefined)
          this.set({ ...o.constant, store: o.redisStore.prefix }, o.redisStore.mode === 'shared' ? 1 : 0);
      }
    },
  });
  const redisFallbacks = counter(
    'redis_store_fallbacks_total',
    'Switches of a Redis store from shared to local (Redis slow, down or failing), by reason: timeout or error.',
    ['store', 'reason'],
  );

  const families: Families = {
    prefix,
    constantNames,
    counters,
    duration,
    breakerCalls,
    breakerTransitions,
    retryAttempts,
    retryGiveUps,
    timeouts,
    bulkheadRejected,
    configReloads,
    rateLimitPermits,
    fallbacks,
    hedges,
    hedgesWon,
    redisFallbacks,
    observed,
    seriesUsers: new Map(),
    names: new Map(),
  };
  for (const name of METRIC_NAMES) {
    Object.defineProperty(registry.getSingleMetric(prefix + name), TAG, { value: families });
  }
  void state;
  return families;
}
