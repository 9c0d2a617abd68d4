/**
 * A retry budget shared by replicas: each replica counts first attempts and retries locally and
 * reports them to a store every `syncMs`, which answers with the fleet's totals over the window.
 * A retry is decided locally against those totals plus what this replica has not reported yet,
 * so no call waits on the store. While the store cannot answer, the replica's own window decides.
 */
import type { Clock } from '../core/clock.js';

/** The fleet's counts over the budget's window, as a store answers them. */
export interface BudgetCounts {
  /** First attempts made by every replica in the window. */
  readonly attempts: number;
  /** Retries taken by every replica in the window. */
  readonly retries: number;
}

/**
 * Where replicas share a retry budget: `bulwark/redis`'s `redisStore` implements it. `syncBudget`
 * adds a replica's new counts and answers the fleet's totals; it resolves `undefined` when the
 * store cannot answer in time, and never rejects.
 *
 * @example
 * ```ts
 * import type { RetryBudgetStore } from 'bulwark/retry';
 *
 * // A store that never answers: every replica keeps to its own budget.
 * const alone: RetryBudgetStore = { syncBudget: () => Promise.resolve(undefined) };
 * ```
 */
export interface RetryBudgetStore {
  /** Adds `report` to the budget `key` and answers its totals over `rule.windowMs`. */
  syncBudget(
    key: string,
    report: BudgetCounts,
    rule: { readonly windowMs: number; readonly bucketMs: number },
  ): PromiseLike<BudgetCounts | undefined>;
}

/** @internal The local window the shared budget falls back to. */
export interface LocalBudget {
  recordAttempt(): void;
  tryRetry(): boolean;
}

/** @internal */
export interface SharedBudgetSettings {
  readonly store: RetryBudgetStore;
  readonly key: string;
  readonly syncMs: number;
  readonly ratio: number;
  readonly reserve: number;
  readonly windowMs: number;
  readonly clock: Clock;
}

/** @internal The fleet's totals, kept fresh by reports, with this replica's unreported counts on top. */
export class SharedBudget {
  #s: SharedBudgetSettings;
  readonly #local: LocalBudget;
  #fleet: BudgetCounts | undefined;
  #heardAt = 0;
  #attempts = 0; // not yet reported
  #retries = 0;
  #sending: BudgetCounts = { attempts: 0, retries: 0 };
  #nextSyncAt = 0;
  #inFlight = false;

  constructor(settings: SharedBudgetSettings, local: LocalBudget) {
    this.#s = settings;
    this.#local = local;
  }

  /** New rates from `configure`; the counts reported and heard are kept. */
  retune(ratio: number, reserve: number): void {
    this.#s = { ...this.#s, ratio, reserve };
  }

  /** True while the last answer is recent enough to decide on. */
  connected(now: number): boolean {
    return this.#fleet !== undefined && now - this.#heardAt <= this.#s.syncMs * 3;
  }

  recordAttempt(): void {
    this.#local.recordAttempt();
    this.#attempts++;
    this.#tick();
  }

  tryRetry(): boolean {
    const now = this.#tick();
    if (!this.connected(now)) {
      if (!this.#local.tryRetry()) return false;
      this.#retries++;
      return true;
    }
    const fleet = this.#fleet as BudgetCounts;
    const attempts = fleet.attempts + this.#sending.attempts + this.#attempts;
    const retries = fleet.retries + this.#sending.retries + this.#retries;
    if (this.#s.ratio * attempts + this.#s.reserve - retries < 1) return false;
    this.#local.tryRetry(); // keeps the local window right for when the store goes away
    this.#retries++;
    return true;
  }

  /** The fleet's totals with this replica's unreported counts, or undefined when not connected. */
  counts(): BudgetCounts | undefined {
    if (!this.connected(this.#s.clock.now())) return undefined;
    const fleet = this.#fleet as BudgetCounts;
    return {
      attempts: fleet.attempts + this.#sending.attempts + this.#attempts,
      retries: fleet.retries + this.#sending.retries + this.#retries,
    };
  }

  #tick(): number {
    const now = this.#s.clock.now();
    if (now >= this.#nextSyncAt && !this.#inFlight) this.#sync(now);
    return now;
  }

  #sync(now: number): void {
    const s = this.#s;
    this.#nextSyncAt = now + s.syncMs;
    this.#inFlight = true;
    const report = { attempts: this.#attempts, retries: this.#retries };
    this.#sending = report;
    this.#attempts = 0;
    this.#retries = 0;
    let answer: PromiseLike<BudgetCounts | undefined>;
    try {
      answer = s.store.syncBudget(s.key, report, { windowMs: s.windowMs, bucketMs: Math.max(1, s.windowMs / 10) });
    } catch {
      answer = Promise.resolve(undefined);
    }
    Promise.resolve(answer)
      .then(
        (counts) => counts,
        () => undefined,
      )
      .then((counts) => {
        this.#inFlight = false;
        this.#sending = { attempts: 0, retries: 0 };
        if (counts === undefined) {
          // Not delivered: it goes with the next report.
          this.#attempts += report.attempts;
          this.#retries += report.retries;
          return;
        }
        this.#fleet = counts;
        this.#heardAt = s.clock.now();
      });
  }
}
