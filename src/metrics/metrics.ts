import type { Registry } from 'prom-client';
import type { CircuitBreaker } from '../breaker/breaker.js';
import type { Bulkhead } from '../bulkhead/bulkhead.js';
import { describe } from '../core/errors.js';
import type { ComposedPolicy, Policy } from '../core/policy.js';
import type { PolicyRegistry } from '../core/registry.js';
import type { FallbackPolicy } from '../fallback/fallback.js';
import type { HedgePolicy } from '../hedge/hedge.js';
import type { RateLimitPolicy } from '../rate-limit/rate-limit.js';
import type { RetryPolicy } from '../retry/retry.js';
import type { TimeoutPolicy } from '../timeout/timeout.js';
import { type Known, recognise } from './detect.js';
import { type Families, familiesOn, type Observation } from './families.js';
import { observeFallback, observeHedge, observeRateLimit } from './observe-limits.js';
import { type Observed, observeBreaker, observeBulkhead, observeRetry, observeTimeout } from './observe-policies.js';
import { observeRedisStore, type RedisStoreShape } from './observe-redis.js';
import { type ConfigWatcherShape, type HealthCheckerShape, observeConfig, observeHealth } from './observe-state.js';
import { metricsSettings } from './options.js';
import { indexEntries, seriesKey } from './series.js';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** The prom-client registry to register on (default: prom-client's global `register`). */
  readonly registry?: Registry | undefined;
  /** Put before every metric name (default `'bulwark_'`). */
  readonly prefix?: string | undefined;
  /** Constant labels added to every series, e.g. `{ service: 'checkout' }`. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

/** Anything {@link Metrics.observe} accepts. */
export type MetricsSource =
  | CircuitBreaker
  | RetryPolicy
  | TimeoutPolicy
  | Bulkhead
  | RateLimitPolicy
  | FallbackPolicy<unknown>
  | HedgePolicy
  | ComposedPolicy
  | HealthCheckerShape
  | ConfigWatcherShape
  | RedisStoreShape
  | PolicyRegistry<Policy, unknown>;

/** Prometheus metrics for bulwark's primitives. Made by {@link createMetrics}. */
export interface Metrics {
  /** The registry the metrics are on. */
  readonly registry: Registry;
  /** The prefix of every metric name. */
  readonly prefix: string;
  /**
   * Starts exporting what `source` does: a breaker, a retry, timeout, rate-limit, fallback or hedge
   * policy, a bulkhead, a composed policy (every one of those inside it), a health checker, a config watcher or a Redis store (`bulwark/redis`). Returns
   * the function that stops; calling it twice is harmless.
   */
  observe(source: MetricsSource): () => void;
}

type Leaf = Exclude<Known, { kind: 'composed' } | { kind: 'registry' }>;

function leavesOf(composed: ComposedPolicy, into: Leaf[] = []): Leaf[] {
  for (const part of composed.policies) {
    const known = recognise(part);
    if (known === undefined) continue;
    if (known.kind === 'composed') leavesOf(known.target, into);
    else if (known.kind !== 'registry') into.push(known);
  }
  return into;
}

/** The leaves of one policy: itself, or every part of a composed one; none when nothing is known. */
function leavesOfPolicy(policy: unknown): Leaf[] {
  const known = recognise(policy);
  if (known === undefined || known.kind === 'registry') return [];
  return known.kind === 'composed' ? leavesOf(known.target) : [known];
}

function nameOf(leaf: Leaf): string {
  if (leaf.kind === 'redis store') return leaf.target.prefix;
  return leaf.kind === 'health checker' || leaf.kind === 'config watcher' ? '' : leaf.target.name;
}

/** Observations running, by the object observed, with how many `observe` calls hold each. */
const holds = new WeakMap<object, { count: number; release: () => void }>();
const warnedMixes = new Set<string>();

/**
 * Starts observing `leaf`, or holds the observation already running: observing one thing twice
 * counts it once, and it stops when every `observe` that holds it has been stopped. Two things of
 * one kind with one name share their series (the name is the label, so their counts add up, and
 * breakers of one name show the worst state). Nothing here throws: metrics must never be why an
 * application fails to start.
 */
function observeOne(f: Families, leaf: Leaf, constant: Readonly<Record<string, string>>): () => void {
  const held = f.observed.has(leaf.target) ? holds.get(leaf.target) : undefined;
  if (held !== undefined) {
    held.count++;
    return once(() => {
      if (--held.count === 0) held.release();
    });
  }
  const scope = JSON.stringify(f.constantNames.map((n) => constant[n]));
  const name = nameOf(leaf);
  const timed = leaf.kind === 'circuit breaker' || leaf.kind === 'retry policy';
  const durationKey = `duration\0${scope}\0${leaf.kind}\0${name}`;
  const otherKey = `duration\0${scope}\0${leaf.kind === 'circuit breaker' ? 'retry policy' : 'circuit breaker'}\0${name}`;
  if (timed && f.names.has(otherKey) && !warnedMixes.has(otherKey)) {
    warnedMixes.add(otherKey);
    const other = leaf.kind === 'circuit breaker' ? 'retry policy' : 'circuit breaker';
    process.emitWarning(
      `bulwark/metrics: a ${other} and a ${leaf.kind} are both named "${name}"; both time calls into call_duration_seconds{policy="${name}"}, where per-attempt and whole-call durations mix. Give one of them another "name", e.g. "${name}-retry"`,
      { code: 'BULWARK_METRICS_NAME' },
    );
  }
  let observed: Observed;
  switch (leaf.kind) {
    case 'circuit breaker':
      observed = observeBreaker(f, leaf.target, constant);
      break;
    case 'retry policy':
      observed = observeRetry(f, leaf.target, constant);
      break;
    case 'timeout policy':
      observed = observeTimeout(f, leaf.target, constant);
      break;
    case 'bulkhead':
      observed = observeBulkhead(f, leaf.target, constant);
      break;
    case 'rate limiter':
      observed = observeRateLimit(f, leaf.target, constant);
      break;
    case 'fallback policy':
      observed = observeFallback(f, leaf.target, constant);
      break;
    case 'hedge policy':
      observed = observeHedge(f, leaf.target, constant);
      break;
    case 'health checker':
      observed = observeHealth(leaf.target, constant);
      break;
    case 'config watcher':
      observed = observeConfig(f, leaf.target, constant);
      break;
    case 'redis store':
      observed = observeRedisStore(f, leaf.target, constant);
      break;
  }
  f.observed.set(leaf.target, observed.observation);
  countUsers(f, observed.observation, 1);
  if (timed) f.names.set(durationKey, leaf.target);
  const release = () => {
    holds.delete(leaf.target);
    observed.stop();
    // Counts made since the last scrape are kept: counters and the histogram hold their history.
    for (const [counter, series] of observed.observation.counters) series.flush(counter);
    const entries = indexEntries(f.duration);
    for (const series of observed.observation.durations) series.flush(f.duration, entries);
    f.observed.delete(leaf.target);
    countUsers(f, observed.observation, -1);
    if (timed && f.names.get(durationKey) === leaf.target) f.names.delete(durationKey);
  };
  const hold = { count: 1, release };
  holds.set(leaf.target, hold);
  return once(() => {
    if (--hold.count === 0) hold.release();
  });
}

/**
 * Removes the counter and histogram series of an observation that ended for good (a policy a
 * registry dropped), unless another live observation still counts into the same series: a
 * registry per tenant must not leave a series per tenant it ever saw.
 */
function forget(f: Families, observation: Observation): void {
  for (const [counter, series] of observation.counters) {
    if (!f.seriesUsers.has(seriesKey(series.labels))) counter.remove(series.labels);
  }
  for (const series of observation.durations) {
    if (!f.seriesUsers.has(seriesKey(series.labels))) f.duration.remove(series.labels);
  }
}

/** Counts the live observations of each series, so `forget` knows which no one else uses. */
function countUsers(f: Families, observation: Observation, by: 1 | -1): void {
  const keys = [
    ...observation.counters.map(([, series]) => seriesKey(series.labels)),
    ...observation.durations.map((series) => seriesKey(series.labels)),
  ];
  for (const key of keys) {
    const users = (f.seriesUsers.get(key) ?? 0) + by;
    if (users > 0) f.seriesUsers.set(key, users);
    else f.seriesUsers.delete(key);
  }
}

/** Observes every policy of a registry: those made later when they appear, none after it drops them. */
function observeRegistry(
  f: Families,
  registry: PolicyRegistry<Policy, unknown>,
  observePolicy: (policy: Policy) => (() => void) | undefined,
): () => void {
  const stops = new Map<string, { stop: () => void; policy: Policy }>();
  const add = (key: string, policy: Policy): void => {
    const stop = observePolicy(policy);
    if (stop !== undefined) stops.set(key, { stop, policy });
  };
  const drop = (key: string): void => {
    const entry = stops.get(key);
    if (entry === undefined) return;
    stops.delete(key);
    const observations = leavesOfPolicy(entry.policy)
      .map((leaf) => f.observed.get(leaf.target))
      .filter((o): o is Observation => o !== undefined);
    entry.stop();
    // A policy still observed by another `observe` keeps its series (its users did not drop).
    for (const observation of observations) forget(f, observation);
  };
  for (const [key, policy] of registry.entries()) add(key, policy);
  const offCreate = registry.on('create', ({ key, policy }) => add(key, policy));
  const offEvict = registry.on('evict', ({ key }) => drop(key));
  return once(() => {
    offCreate();
    offEvict();
    for (const { stop } of stops.values()) stop();
    stops.clear();
  });
}

/** `fn`, callable once: a stop function called twice is harmless. */
function once(fn: () => void): () => void {
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    fn();
  };
}

/**
 * Prometheus metrics for every bulwark primitive, through the application's own prom-client
 * (an optional peer dependency: only import `bulwark/metrics` where prom-client is installed).
 * `observe(x)` subscribes to the events of a breaker, a retry or timeout policy, a bulkhead (its
 * running and waiting calls, its limit, adaptive or not, and its refusals by reason), every part of
 * a composed policy, a health checker, a config watcher or a Redis store, and reads their state when Prometheus
 * scrapes. Nothing in the other modules knows about metrics.
 *
 * Label values are the `name` options you gave, never error messages, so cardinality stays
 * bounded. A name becomes the `breaker` or `policy` label: two things of one kind with one name
 * share their series (counts add up; breakers show the worst state), and observing one thing twice
 * counts it once. `observe` never throws for a name; a breaker and a retry policy with one name
 * get a process warning, since their durations would mix. A second
 * `createMetrics` on the same registry and prefix shares the first one's metrics (its constant
 * label names must match); a metric of the same name that bulwark did not make is an error.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { compose } from 'bulwark';
 * import { circuitBreaker } from 'bulwark/breaker';
 * import { createMetrics } from 'bulwark/metrics';
 * import { retry } from 'bulwark/retry';
 * import { timeout } from 'bulwark/timeout';
 * import { register } from 'prom-client';
 *
 * const policy = compose(
 *   retry({ name: 'inventory-retry' }),
 *   circuitBreaker({ name: 'inventory' }),
 *   timeout({ ms: 2000, name: 'inventory' }),
 * );
 * const metrics = createMetrics({ labels: { service: 'checkout' } });
 * const stop = metrics.observe(policy);
 *
 * createServer(async (req, res) => {
 *   res.setHeader('Content-Type', register.contentType);
 *   res.end(await register.metrics());
 * }).listen(9464);
 * ```
 */
export function createMetrics(options?: MetricsOptions): Metrics {
  const s = metricsSettings(options);
  const families = familiesOn(s.registry, s.prefix, s.constantNames);
  return Object.freeze({
    registry: s.registry,
    prefix: s.prefix,
    observe(source: MetricsSource): () => void {
      const known = recognise(source);
      if (known === undefined) {
        throw new TypeError(
          `metrics.observe: expected a circuit breaker, a retry, timeout, rate-limit, fallback or hedge policy, a bulkhead, a composed policy, a health checker, a config watcher or a Redis store; got ${describe(source)}`,
        );
      }
      if (known.kind === 'registry') {
        return observeRegistry(families, known.target, (policy) => {
          const parts = leavesOfPolicy(policy);
          if (parts.length === 0) return undefined;
          const stops = parts.map((leaf) => observeOne(families, leaf, s.constant));
          return () => {
            for (const stop of stops) stop();
          };
        });
      }
      const leaves = known.kind === 'composed' ? leavesOf(known.target) : [known];
      if (leaves.length === 0) {
        throw new TypeError(
          'metrics.observe: the composed policy holds no circuit breaker, retry, timeout, rate-limit or hedge policy or bulkhead, so there is nothing to observe',
        );
      }
      const stops: Array<() => void> = [];
      try {
        for (const leaf of leaves) stops.push(observeOne(families, leaf, s.constant));
      } catch (error) {
        for (const stop of stops) stop();
        throw error;
      }
      return () => {
        for (const stop of stops) stop();
      };
    },
  });
}
