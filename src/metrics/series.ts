/**
 * The hot path of metrics: events bump plain numbers here, and prom-client sees them only when it
 * is scraped. Going through prom-client's `inc` and `observe` on every call (a label hash and a
 * label check each time) would cost about 1.8x a whole breaker call; see docs/decisions/0006.
 */
import type { Counter, Histogram } from 'prom-client';

/** Label values of one series, constant labels included. */
export type Labels = Readonly<Record<string, string>>;

/** Upper bounds of `call_duration_seconds`, fit for calls from 1 ms to 60 s. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);
const BOUNDS_MS = DURATION_BUCKETS_SECONDS.map((s) => s * 1000);

/** A counter series counted locally; `flush` adds what is new to the prom-client counter. */
export class CounterSeries {
  readonly labels: Labels;
  value = 0;
  #flushed = 0;

  constructor(labels: Labels) {
    this.labels = labels;
  }

  flush(counter: Counter): void {
    const delta = this.value - this.#flushed;
    // inc with 0 creates the series, so a counter shows 0 from the start and rate() has a base.
    if (delta > 0 || this.#flushed === 0) counter.inc(this.labels, delta);
    this.#flushed = this.value;
  }
}

/** What prom-client's Histogram keeps per series (see `flush` for why it is touched). */
interface HistogramEntry {
  labels: Labels;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/** A histogram series of durations, bucketed locally; `flush` adds what is new to prom-client's. */
export class DurationSeries {
  readonly labels: Labels;
  readonly #key: string;
  #counts = new Float64Array(BOUNDS_MS.length + 1);
  #sums = new Float64Array(BOUNDS_MS.length + 1);
  #sumMs = 0;
  #count = 0;

  constructor(labels: Labels) {
    this.labels = labels;
    this.#key = seriesKey(labels);
  }

  record(durationMs: number): void {
    if (!(durationMs >= 0)) return;
    let i = 0;
    while (i < BOUNDS_MS.length && durationMs > (BOUNDS_MS[i] as number)) i++;
    // The last slot holds calls over the largest bound (only +Inf counts them).
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.#sums[i] = (this.#sums[i] as number) + durationMs;
    this.#sumMs += durationMs;
    this.#count++;
  }

  get pending(): boolean {
    return this.#count > 0;
  }

  /**
   * prom-client 15 has no public way to add many observations at once, and observing each one
   * again would bring back the cost this class avoids. So this adds the local buckets to the
   * series record prom-client keeps (`hashMap` entries of `{ labels, bucketValues, sum, count }`),
   * after `zero()` made it through the public API. tests/metrics/histogram.test.ts proves the
   * exposition equals what `observe()` of the same values gives, so a change in prom-client fails
   * the suite instead of the numbers.
   */
  flush(histogram: Histogram, entries: Map<string, HistogramEntry>): void {
    if (this.#count === 0) return;
    let entry = entries.get(this.#key);
    if (entry === undefined) {
      histogram.zero(this.labels);
      entry = indexEntries(histogram).get(this.#key);
      if (entry !== undefined) entries.set(this.#key, entry);
    }
    if (entry === undefined) this.#replay(histogram);
    else {
      const target = entry;
      DURATION_BUCKETS_SECONDS.forEach((bound, i) => {
        target.bucketValues[bound] = (target.bucketValues[bound] ?? 0) + (this.#counts[i] as number);
      });
      target.sum += this.#sumMs / 1000;
      target.count += this.#count;
    }
    this.#counts = new Float64Array(BOUNDS_MS.length + 1);
    this.#sums = new Float64Array(BOUNDS_MS.length + 1);
    this.#sumMs = 0;
    this.#count = 0;
  }

  /**
   * The fallback when a prom-client keeps its series some other way: observe each bucket's mean
   * once per call in it, through the public API. Bucket counts and the sum come out exact; it
   * costs one `observe` per call since the last scrape, paid at scrape time.
   */
  #replay(histogram: Histogram): void {
    this.#counts.forEach((count, i) => {
      if (count === 0) return;
      const meanSeconds = (this.#sums[i] as number) / count / 1000;
      for (let n = 0; n < count; n++) histogram.observe(this.labels, meanSeconds);
    });
  }
}

/** prom-client's series records of `histogram`, keyed by their label values. */
export function indexEntries(histogram: Histogram): Map<string, HistogramEntry> {
  const map = (histogram as unknown as { hashMap?: Record<string, HistogramEntry> }).hashMap ?? {};
  const index = new Map<string, HistogramEntry>();
  for (const entry of Object.values(map)) {
    if (entry !== null && typeof entry === 'object' && typeof entry.count === 'number' && entry.bucketValues) {
      index.set(seriesKey(entry.labels), entry);
    }
  }
  return index;
}

/** One string per label set, the same whatever the order of its keys. @internal */
export function seriesKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}
