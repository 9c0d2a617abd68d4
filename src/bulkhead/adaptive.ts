/**
 * A concurrency limit that finds itself: it watches how long calls take and how many ran at
 * once, and moves so that calls queue as little as possible at the dependency while using all
 * of its capacity. The choice of algorithm and its numbers are in docs/decisions/0012.
 *
 * In short (TCP Vegas's idea, in the shape of Netflix's gradient limits): once per round (about
 * `limit` calls, one round trip at full use) it compares the fastest call of the round with the
 * fastest call it has ever seen unloaded, the baseline. The new limit is
 * `limit * min(1, tolerance * baseline / roundMin) + sqrt(limit)`: it grows by about its square
 * root while calls come back as fast as unloaded, and settles where about sqrt(limit) calls wait
 * at the dependency. It moves up smoothly and down at once (by half at most); a timed-out call
 * counts as the strongest "slower".
 * Every 100 rounds it halves the limit for one round to measure the unloaded latency again, so
 * a dependency that became slower for good is not mistaken for one that is overloaded; sooner
 * (every 10 rounds) at first and while each measurement finds it faster than the last.
 */
import { describe } from '../core/errors.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import { checkKnownKeys, checkOptionsObject, intOption, nameOption } from '../core/options.js';

/** Options of {@link adaptiveLimit}. */
export interface AdaptiveLimitOptions {
  /** The limit to start from (default 20, or `min` when that is higher). */
  readonly initial?: number | undefined;
  /** The limit never goes below this (default 1). */
  readonly min?: number | undefined;
  /** The limit never goes above this (default 1000). */
  readonly max?: number | undefined;
  /**
   * How much slower than unloaded the fastest call of a round may be before the limit comes
   * down, from 1 to 10. At 1 (the default) the limit settles where about its square root of
   * calls wait at the dependency; 1.5 lets every call wait half its unloaded time more, for a
   * little throughput at the price of latency.
   */
  readonly tolerance?: number | undefined;
  /**
   * How far each round moves the limit up towards its new value, above 0 up to 1 (default 0.2).
   * Decreases take effect at once.
   */
  readonly smoothing?: number | undefined;
  /** Names the limit in events (default `'adaptive'`). */
  readonly name?: string | undefined;
}

/** One finished call, as the limit learns from it. */
export interface AdaptiveLimitSample {
  /** How long the call took, in milliseconds. */
  readonly durationMs: number;
  /** How many calls were running when it started, itself included. */
  readonly inflight: number;
  /** True when it failed because it took too long (a timeout): the dependency is overloaded. */
  readonly dropped?: boolean | undefined;
}

/** Why an adaptive limit moved. */
export type AdaptiveLimitReason = 'latency' | 'drop' | 'probe' | 'probe-end';

/** Events of an {@link AdaptiveLimit}. */
export interface AdaptiveLimitEvents {
  /** The (whole-number) limit changed. */
  change: {
    /** The limit's name. */
    readonly name: string;
    /** The limit before. */
    readonly from: number;
    /** The limit now. */
    readonly to: number;
    /**
     * `'latency'`: a round was fast (up) or slow (down); `'drop'`: a call timed out;
     * `'probe'`: halved for a round to measure the unloaded latency; `'probe-end'`: restored.
     */
    readonly reason: AdaptiveLimitReason;
    /** The unloaded latency it compares with, in milliseconds. */
    readonly baselineMs: number;
  };
}

/** What {@link AdaptiveLimit.stats} reports. */
export interface AdaptiveLimitStats {
  /** The limit now (a whole number). */
  readonly limit: number;
  /** The unloaded latency it compares with, in ms; undefined before the first call finished. */
  readonly baselineMs: number | undefined;
  /** Calls it learned from. */
  readonly samples: number;
  /** True while it measures the unloaded latency again (the limit is halved for a round). */
  readonly probing: boolean;
}

/**
 * A limit that moves with measured latency; give it to `bulkhead({ limit })`. Made by
 * {@link adaptiveLimit}. One bulkhead uses it; the bulkhead feeds it every finished call.
 */
export interface AdaptiveLimit extends EventSource<AdaptiveLimitEvents> {
  /** What it is: `'adaptive-limit'`, so a bulkhead and metrics know it from a fixed limit. */
  readonly kind: 'adaptive-limit';
  /** The limit's name. */
  readonly name: string;
  /** The lowest it goes. */
  readonly min: number;
  /** The highest it goes. */
  readonly max: number;
  /** The limit now: a whole number from `min` to `max`. */
  readonly current: number;
  /**
   * Learns from one finished call. The bulkhead calls it; call it yourself only when you use the
   * limit outside a bulkhead.
   */
  record(sample: AdaptiveLimitSample): void;
  /** The limit, the baseline and how many calls it learned from. */
  stats(): AdaptiveLimitStats;
}

/** Rounds between two measurements of the unloaded latency, once they agree. */
const PROBE_EVERY_ROUNDS = 100;
/**
 * Rounds before the first measurement, and between measurements while each finds the dependency
 * faster than the last: the first calls pay for connections and warm-up, so the first baseline is
 * often too high, and a limit far above the dependency's capacity needs a few halvings to see it
 * unloaded.
 */
const PROBE_SOON_ROUNDS = 10;
/** The most a round can cut the limit by: half, as TCP does on a loss. */
const LOWEST_GRADIENT = 0.5;

interface Settings {
  readonly name: string;
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  readonly tolerance: number;
  readonly smoothing: number;
}

class Adaptive implements AdaptiveLimit {
  readonly kind = 'adaptive-limit' as const;
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly #s: Settings;
  readonly #events = new Emitter<AdaptiveLimitEvents>();
  /** The limit as a real number; `current` is its whole part. */
  #estimate: number;
  #current: number;
  #baseline: number | undefined;
  #samples = 0;
  // The round being measured.
  #roundCount = 0;
  #roundMin = Number.POSITIVE_INFINITY;
  #roundInflight = 0;
  #roundDropped = false;
  #rounds = 0;
  #probeEvery = PROBE_SOON_ROUNDS;
  // A measurement of the unloaded latency, when one runs.
  #probing = false;
  #probeMin = Number.POSITIVE_INFINITY;
  #probeCount = 0;
  #saved = 0;

  constructor(s: Settings) {
    this.#s = s;
    this.name = s.name;
    this.min = s.min;
    this.max = s.max;
    this.#estimate = s.initial;
    this.#current = s.initial;
  }

  get current(): number {
    return this.#current;
  }

  on<K extends keyof AdaptiveLimitEvents>(event: K, listener: (payload: AdaptiveLimitEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  stats(): AdaptiveLimitStats {
    return { limit: this.#current, baselineMs: this.#baseline, samples: this.#samples, probing: this.#probing };
  }

  record(sample: AdaptiveLimitSample): void {
    const durationMs = sample?.durationMs;
    const inflight = sample?.inflight;
    if (typeof durationMs !== 'number' || !(durationMs >= 0) || durationMs === Number.POSITIVE_INFINITY) {
      throw new RangeError(
        `adaptiveLimit.record: "durationMs" must be a finite number >= 0; got ${describe(durationMs)}`,
      );
    }
    if (typeof inflight !== 'number' || !Number.isInteger(inflight) || inflight < 1) {
      throw new RangeError(`adaptiveLimit.record: "inflight" must be a whole number >= 1; got ${describe(inflight)}`);
    }
    const dropped = sample.dropped === true;
    this.#samples++;
    if (this.#probing) {
      this.#probeSample(durationMs, inflight, dropped);
      return;
    }
    if (!dropped) {
      if (this.#baseline === undefined || durationMs < this.#baseline) this.#baseline = durationMs;
      if (durationMs < this.#roundMin) this.#roundMin = durationMs;
    }
    if (inflight > this.#roundInflight) this.#roundInflight = inflight;
    if (dropped) this.#roundDropped = true;
    if (++this.#roundCount >= this.#current) this.#endRound();
  }

  #endRound(): void {
    const { tolerance, smoothing } = this.#s;
    const baseline = this.#baseline;
    const estimate = this.#estimate;
    const dropped = this.#roundDropped;
    const gradient =
      dropped || baseline === undefined
        ? LOWEST_GRADIENT
        : Math.max(LOWEST_GRADIENT, Math.min(1, (tolerance * baseline) / this.#roundMin));
    // A round that used less than half the limit says nothing about a higher one: no growth.
    const appLimited = this.#roundInflight * 2 < estimate;
    this.#roundCount = 0;
    this.#roundMin = Number.POSITIVE_INFINITY;
    this.#roundInflight = 0;
    this.#roundDropped = false;
    if (!(appLimited && gradient >= 1) && (baseline !== undefined || dropped)) {
      // The square root is the room to grow: big enough to find capacity in a few dozen rounds,
      // small enough that the limit settles where the gradient takes back what it adds.
      const target = estimate * gradient + Math.sqrt(estimate);
      // Up slowly, down at once: calls queued at the dependency cost every caller now, while
      // capacity left unused for a few more rounds costs little (TCP's rule, and 0012's numbers).
      const next = target < estimate ? target : estimate * (1 - smoothing) + target * smoothing;
      this.#set(next, dropped ? 'drop' : 'latency');
    }
    if (++this.#rounds >= this.#probeEvery) this.#startProbe();
  }

  #startProbe(): void {
    this.#rounds = 0;
    this.#probing = true;
    this.#probeMin = Number.POSITIVE_INFINITY;
    this.#probeCount = 0;
    this.#saved = this.#estimate;
    this.#show(Math.max(this.min, Math.floor(this.#estimate / 2)), 'probe');
  }

  #probeSample(durationMs: number, inflight: number, dropped: boolean): void {
    // Only calls that started under the halved limit saw an unloaded dependency.
    const probeLimit = this.#current;
    if (dropped || inflight > probeLimit) return;
    if (durationMs < this.#probeMin) this.#probeMin = durationMs;
    if (++this.#probeCount < probeLimit) return;
    this.#probing = false;
    const before = this.#baseline;
    this.#probeEvery = before !== undefined && this.#probeMin < before * 0.9 ? PROBE_SOON_ROUNDS : PROBE_EVERY_ROUNDS;
    this.#baseline = this.#probeMin;
    this.#set(this.#saved, 'probe-end');
  }

  #set(estimate: number, reason: AdaptiveLimitReason): void {
    this.#estimate = Math.min(this.max, Math.max(this.min, estimate));
    this.#show(Math.min(this.max, Math.max(this.min, Math.floor(this.#estimate))), reason);
  }

  #show(limit: number, reason: AdaptiveLimitReason): void {
    const from = this.#current;
    if (limit === from) return;
    this.#current = limit;
    if (this.#events.listening('change')) {
      this.#events.emit('change', { name: this.name, from, to: limit, reason, baselineMs: this.#baseline ?? 0 });
    }
  }
}

const KNOWN_OPTIONS = ['initial', 'min', 'max', 'tolerance', 'smoothing', 'name'] as const;

function numberIn(where: string, name: string, value: unknown, fallback: number, low: number, high: number): number {
  const n = value ?? fallback;
  if (typeof n !== 'number' || !(n >= low && n <= high) || (name === 'smoothing' && n === 0)) {
    const range = name === 'smoothing' ? `above ${low} up to ${high}` : `from ${low} to ${high}`;
    throw new RangeError(`${where}: option "${name}" must be a number ${range}; got ${describe(n)}`);
  }
  return n;
}

function adaptiveSettings(options: AdaptiveLimitOptions | undefined): Settings {
  const where = 'adaptiveLimit';
  checkOptionsObject(where, options);
  const o: AdaptiveLimitOptions = options ?? {};
  checkKnownKeys(where, o, KNOWN_OPTIONS);
  const min = intOption(where, 'min', o.min, 1, 1, 1_000_000);
  const max = intOption(where, 'max', o.max, Math.max(1000, min), 1, 1_000_000);
  if (max < min) throw new RangeError(`${where}: option "max" (${max}) must be at least "min" (${min})`);
  const initial = intOption(where, 'initial', o.initial, Math.min(max, Math.max(20, min)), 1, 1_000_000);
  if (initial < min || initial > max) {
    throw new RangeError(`${where}: option "initial" (${initial}) must be from "min" (${min}) to "max" (${max})`);
  }
  return {
    name: nameOption(where, o.name, 'adaptive'),
    initial,
    min,
    max,
    tolerance: numberIn(where, 'tolerance', o.tolerance, 1, 1, 10),
    smoothing: numberIn(where, 'smoothing', o.smoothing, 0.2, 0, 1),
  };
}

/**
 * A concurrency limit that moves with measured latency, for `bulkhead({ limit: adaptiveLimit() })`.
 * It grows while calls come back as fast as they do unloaded, and shrinks when they slow down
 * because the dependency queues them (or time out), so it settles near the concurrency the
 * dependency can take, and follows it when that changes. No timer: it learns from finished calls.
 *
 * @example
 * ```ts
 * import { adaptiveLimit, bulkhead } from 'bulwark/bulkhead';
 *
 * const limit = adaptiveLimit({ initial: 10, min: 2, max: 200 });
 * limit.on('change', ({ from, to, reason }) => console.info(`limit ${from} -> ${to} (${reason})`));
 * const search = bulkhead({ name: 'search', limit, queue: 50, queueTimeoutMs: 1000 });
 *
 * const hits = await search.execute(({ signal }) => fetch('https://search.example.com/?q=x', { signal }));
 * ```
 */
export function adaptiveLimit(options?: AdaptiveLimitOptions): AdaptiveLimit {
  return new Adaptive(adaptiveSettings(options));
}

/**
 * True when `value` has the shape of an {@link AdaptiveLimit}: `kind: 'adaptive-limit'`, a
 * whole-number `current` and a `record` function. A limit of your own with that shape plugs
 * into a bulkhead like the built-in one (the simulation in scripts/ compares algorithms so).
 *
 * @internal
 */
export function isAdaptiveLimit(value: unknown): value is AdaptiveLimit {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<AdaptiveLimit>;
  return v.kind === 'adaptive-limit' && typeof v.record === 'function' && typeof v.current === 'number';
}
