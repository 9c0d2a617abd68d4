/**
 * The simulation behind decision 0012 and tests/bulkhead/adaptive.test.ts: a dependency with C
 * workers (C unknown to the client, changing between phases) and a FIFO queue in front of them,
 * called through `compose(bulkhead, timeout)` by open-loop Poisson traffic above its capacity,
 * all on FakeClock. It reports the limit over time, goodput and latency percentiles, for the
 * adaptive limit, for fixed limits, and for the algorithms it was chosen against.
 */
import { BulkheadRejectedError, compose, TimeoutError } from 'bulwark';
import { type AdaptiveLimit, type AdaptiveLimitSample, adaptiveLimit, bulkhead } from 'bulwark/bulkhead';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';

/** One stretch of time during which the dependency can serve `capacity` calls at once. */
export interface Phase {
  readonly durationMs: number;
  readonly capacity: number;
  /** The idle service time in this phase, when it differs from the scenario's `baseMs`. */
  readonly baseMs?: number;
}

export interface Scenario {
  readonly phases: readonly Phase[];
  /** Service time of one call on an idle dependency, in ms (spread by `jitter`). */
  readonly baseMs: number;
  /** Service times are uniform in baseMs * [1 - jitter, 1 + jitter]. */
  readonly jitter: number;
  /** Calls offered per second (open loop: they come whatever happens to the earlier ones). */
  readonly arrivalsPerSecond: number;
  /** The caller's deadline per call, in ms: a timeout inside the bulkhead. */
  readonly deadlineMs: number;
  readonly seed: number;
}

/** The scenario of the test and of decision 0012: capacity 20, then 8, then 30. */
export const SCENARIO: Scenario = {
  phases: [
    { durationMs: 15_000, capacity: 20 },
    { durationMs: 15_000, capacity: 8 },
    { durationMs: 15_000, capacity: 30 },
  ],
  baseMs: 40,
  jitter: 0.2,
  arrivalsPerSecond: 1000,
  deadlineMs: 160,
  seed: 17,
};

export interface Point {
  readonly t: number;
  readonly limit: number;
  readonly capacity: number;
}

export interface PhaseResult {
  readonly capacity: number;
  /** Mean limit over the second half of the phase. */
  readonly settledLimit: number;
  readonly goodput: number;
}

export interface Result {
  readonly name: string;
  readonly points: readonly Point[];
  /** Successful calls per second over the whole run. */
  readonly goodput: number;
  /** Latency percentiles of the calls that ran (a timed-out call counts as its deadline), in ms. */
  readonly p50: number;
  readonly p99: number;
  readonly timeouts: number;
  readonly rejected: number;
  readonly phases: readonly PhaseResult[];
}

/** The p99 of a call on an idle dependency: uniform service times, so it is exact. */
export function unloadedP99(s: Scenario): number {
  return s.baseMs * (1 - s.jitter + 2 * s.jitter * 0.99);
}

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** A dependency with `capacity()` workers and an unbounded FIFO queue before them. */
class Dependency {
  #busy = 0;
  readonly #waiting: Array<{ run: () => void; signal: AbortSignal }> = [];
  readonly clock: FakeClock;
  readonly capacity: () => number;
  readonly serviceMs: () => number;
  constructor(clock: FakeClock, capacity: () => number, serviceMs: () => number) {
    this.clock = clock;
    this.capacity = capacity;
    this.serviceMs = serviceMs;
  }

  call(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const run = () => {
        this.#busy++;
        this.clock.setTimeout(() => {
          this.#busy--;
          resolve();
          this.#next();
        }, this.serviceMs());
      };
      // A call the caller gave up on before a worker took it is dropped from the queue; one a
      // worker took runs to the end, as on a real server.
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      if (this.#busy < this.capacity()) run();
      else this.#waiting.push({ run, signal });
    });
  }

  #next(): void {
    while (this.#busy < this.capacity() && this.#waiting.length > 0) {
      const item = this.#waiting.shift();
      if (item !== undefined && !item.signal.aborted) item.run();
    }
  }
}

/** The limit a run uses: a fixed number, or a fresh adaptive limit. */
export type LimitChoice = { readonly name: string; readonly make: () => number | AdaptiveLimit };

export async function simulate(choice: LimitChoice, s: Scenario = SCENARIO): Promise<Result> {
  const clock = new FakeClock();
  const rand = random(s.seed);
  const starts: number[] = [];
  let acc = 0;
  for (const p of s.phases) {
    starts.push(acc);
    acc += p.durationMs;
  }
  const total = acc;
  const phaseAt = (t: number) => {
    let i = 0;
    while (i + 1 < starts.length && t >= (starts[i + 1] as number)) i++;
    return i;
  };
  const capacity = () => s.phases[phaseAt(clock.now())]?.capacity ?? 1;
  const base = () => s.phases[phaseAt(clock.now())]?.baseMs ?? s.baseMs;
  const dependency = new Dependency(clock, capacity, () => base() * (1 - s.jitter + 2 * s.jitter * rand()));
  const limit = choice.make();
  const pool = bulkhead({ limit, clock, name: choice.name });
  const policy = compose(pool, timeout({ ms: s.deadlineMs, clock }));

  const latencies: number[] = [];
  const okByPhase = s.phases.map(() => 0);
  let ok = 0;
  let timeouts = 0;
  let rejected = 0;
  const arrive = () => {
    const now = clock.now();
    if (now >= total) return;
    const started = now;
    policy
      .execute(({ signal }) => dependency.call(signal))
      .then(
        () => {
          ok++;
          const i = phaseAt(clock.now());
          okByPhase[i] = (okByPhase[i] as number) + 1;
          latencies.push(clock.now() - started);
        },
        (error: unknown) => {
          if (error instanceof TimeoutError) {
            timeouts++;
            latencies.push(s.deadlineMs);
          } else if (error instanceof BulkheadRejectedError) rejected++;
          else throw error;
        },
      );
    clock.setTimeout(arrive, (-Math.log(1 - rand()) * 1000) / s.arrivalsPerSecond);
  };
  const points: Point[] = [];
  const sample = () => {
    points.push({ t: clock.now(), limit: pool.stats().limit, capacity: capacity() });
    if (clock.now() < total) clock.setTimeout(sample, 100);
  };
  sample();
  arrive();
  await clock.advance(total + s.deadlineMs * 2);

  latencies.sort((a, b) => a - b);
  const phases = s.phases.map((p, i) => {
    const from = (starts[i] as number) + p.durationMs / 2;
    const to = (starts[i] as number) + p.durationMs;
    const inHalf = points.filter((pt) => pt.t >= from && pt.t < to);
    return {
      capacity: p.capacity,
      settledLimit: inHalf.reduce((sum, pt) => sum + pt.limit, 0) / Math.max(1, inHalf.length),
      goodput: ((okByPhase[i] as number) * 1000) / p.durationMs,
    };
  });
  return {
    name: choice.name,
    points,
    goodput: (ok * 1000) / total,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    timeouts,
    rejected,
    phases,
  };
}

/** A limit of the candidates' shape: the algorithms 0012 compared, each as published. */
abstract class Candidate implements AdaptiveLimit {
  readonly kind = 'adaptive-limit' as const;
  readonly min = 1;
  readonly max = 1000;
  readonly name: string;
  protected estimate: number;
  samples = 0;
  constructor(name: string, initial: number) {
    this.name = name;
    this.estimate = initial;
  }
  get current(): number {
    return Math.max(this.min, Math.min(this.max, Math.floor(this.estimate)));
  }
  on(): () => void {
    return () => {};
  }
  stats() {
    return { limit: this.current, baselineMs: undefined, samples: this.samples, probing: false };
  }
  abstract record(sample: AdaptiveLimitSample): void;
}

/** Netflix AIMDLimit: +1 per sample while at least half used, times 0.9 on a drop. */
export class Aimd extends Candidate {
  record({ inflight, dropped }: AdaptiveLimitSample): void {
    this.samples++;
    if (dropped) this.estimate = Math.max(this.min, Math.floor(this.estimate * 0.9));
    else if (inflight * 2 >= this.estimate) this.estimate = Math.min(this.max, this.estimate + 1);
  }
}

/** Netflix Gradient2Limit with its defaults: long-term mean RTT against the sample, +4 per update. */
export class Gradient2 extends Candidate {
  #long: number | undefined;
  #warm = 0;
  record({ durationMs, inflight }: AdaptiveLimitSample): void {
    this.samples++;
    const short = Math.max(durationMs, 1e-6);
    // ExpAvgMeasurement(600, 10): a plain mean for the first 10 samples, then an EWMA of 600.
    if (this.#long === undefined) this.#long = short;
    else if (this.#warm < 10) this.#long = (this.#long * this.#warm + short) / (this.#warm + 1);
    else this.#long = this.#long * (1 - 2 / 601) + short * (2 / 601);
    this.#warm++;
    if (this.#long / short > 2) this.#long *= 0.95;
    if (inflight < this.estimate / 2) return;
    const gradient = Math.max(0.5, Math.min(1, (1.5 * this.#long) / short));
    const next = this.estimate * gradient + 4;
    this.estimate = Math.max(this.min, Math.min(this.max, this.estimate * 0.8 + next * 0.2));
  }
}

export const CHOICES: Record<string, LimitChoice> = {
  adaptive: { name: 'adaptive (bulwark)', make: () => adaptiveLimit({ initial: 10 }) },
  aimd: { name: 'AIMD (Netflix)', make: () => new Aimd('aimd', 10) },
  gradient2: { name: 'Gradient2 (Netflix)', make: () => new Gradient2('gradient2', 10) },
};

export function fixed(n: number): LimitChoice {
  return { name: `fixed ${n}`, make: () => n };
}
