/**
 * A circuit breaker shared by replicas: each replica keeps its own breaker, so the success path
 * makes no round trip, and reports to a store every `syncMs` (and at once when it trips, a probe
 * ends or it is isolated). The store opens the circuit for every replica once `quorum` replicas
 * have tripped on their own (one replica with a broken network does not open it for all),
 * bounds half-open probes across replicas with leases, and passes an isolation on to all.
 * When the store cannot answer, each replica goes on with its own breaker.
 */
import { describe } from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject, intOption, msOption } from '../core/options.js';

/** What one replica tells the store about a shared breaker. */
export interface BreakerReport {
  /** This replica's id, unique in the fleet. */
  readonly replica: string;
  /** The fleet epoch this replica last heard of; -1 before its first answer. */
  readonly seenEpoch: number;
  /** True while this replica's own breaker is open because of its own calls: its vote to open. */
  readonly voting: boolean;
  /** Calls counted since the last report. */
  readonly calls: number;
  /** Failures among them. */
  readonly failures: number;
  /** What ended this replica's probe since the last report, if anything. */
  readonly event: '' | 'closed' | 'probe-failed';
  /** Isolations this replica holds (`isolate()` not yet released). */
  readonly holds: number;
  /** True to give back the probe leases this replica holds. */
  readonly releaseLeases: boolean;
}

/** The fleet's rule for a shared breaker. */
export interface BreakerRule {
  /** Replicas that must have tripped on their own before the circuit opens for all. */
  readonly quorum: number;
  /** How long the shared circuit stays open, in ms. */
  readonly openMs: number;
  /** A replica silent for this long no longer counts (its vote and report expire), in ms. */
  readonly reportTtlMs: number;
  /** Probes allowed at once across the fleet. */
  readonly probes: number;
  /** How long a probe lease lasts when its holder never gives it back, in ms. */
  readonly leaseMs: number;
}

/** The fleet's state as the store sees it. */
export interface BreakerView {
  /** `'open'` until the shared open time ends, then `'half-open'` until a probe closes it. */
  readonly state: 'closed' | 'open' | 'half-open';
  /** Milliseconds the shared circuit stays open; 0 unless open. */
  readonly openRemainingMs: number;
  /** Bumped each time the shared circuit opens, reopens or closes. */
  readonly epoch: number;
  /** Replicas voting to open now. */
  readonly votes: number;
  /** True when this replica's vote counted (false when it predates the last close). */
  readonly voteCounted: boolean;
  /** True when another replica holds an isolation. */
  readonly isolatedByOthers: boolean;
  /** Replicas that reported within `reportTtlMs`. */
  readonly replicas: number;
  /** Calls in the latest report of each of them. */
  readonly calls: number;
  /** Failures in the latest report of each of them. */
  readonly failures: number;
}

/** The store's answer to a half-open replica asking to probe. */
export interface LeaseAnswer {
  /** `'granted'`: probe; `'busy'`: `probes` probes already run elsewhere; the others say what the fleet did meanwhile. */
  readonly answer: 'granted' | 'busy' | 'open' | 'closed' | 'isolated';
  /** With `'open'`: milliseconds it stays open. */
  readonly openRemainingMs: number;
  /** The fleet epoch. */
  readonly epoch: number;
}

/**
 * Where replicas share a breaker's state: `bulwark/redis`'s `redisStore` implements it. Each
 * method resolves `undefined` when the store cannot answer in time (the breaker then goes on
 * alone) and never rejects.
 *
 * @example
 * ```ts
 * import type { BreakerStateStore } from 'bulwark/breaker';
 *
 * // A store that never answers: every replica keeps to its own breaker.
 * const alone: BreakerStateStore = {
 *   syncBreaker: () => Promise.resolve(undefined),
 *   leaseProbe: () => Promise.resolve(undefined),
 * };
 * ```
 */
export interface BreakerStateStore {
  /** Records a replica's report and answers with the fleet's state. */
  syncBreaker(name: string, report: BreakerReport, rule: BreakerRule): PromiseLike<BreakerView | undefined>;
  /** Asks for one of the fleet's `rule.probes` probe leases. */
  leaseProbe(name: string, replica: string, seenEpoch: number, rule: BreakerRule): PromiseLike<LeaseAnswer | undefined>;
}

/** Options of `shared` in `circuitBreaker`. */
export interface SharedBreakerOptions {
  /** Where the fleet's state lives, e.g. `redisStore({ client })` from `bulwark/redis`. */
  readonly store: BreakerStateStore;
  /** How often a replica reports and reads the fleet's state, in ms (default 1000). */
  readonly syncMs?: number | undefined;
  /** Replicas that must trip on their own before the circuit opens for all (default 2). */
  readonly quorum?: number | undefined;
  /** This replica's id (default: a random one); must be unique among the replicas. */
  readonly replica?: string | undefined;
}

/** The fleet's state as one replica last heard it, for `stats().shared`. */
export interface SharedBreakerStats {
  /** True when the last report was answered; false while the store is unreachable. */
  readonly connected: boolean;
  /** This replica's id. */
  readonly replica: string;
  /** The fleet's state at the last answer. */
  readonly fleet: BreakerView | undefined;
}

/** @internal Checked `shared` options. */
export interface SharedSettings {
  readonly store: BreakerStateStore;
  readonly syncMs: number;
  readonly quorum: number;
  readonly replica: string;
}

function randomId(): string {
  return `${Math.random().toString(36).slice(2, 10)}${Math.random().toString(36).slice(2, 6)}`;
}

/** @internal Checks the `shared` option of `circuitBreaker`. */
export function sharedSettings(where: string, value: unknown): SharedSettings {
  checkOptionsObject(`${where} shared`, value);
  const o = (value ?? {}) as SharedBreakerOptions;
  checkKnownKeys(`${where}: shared`, o, ['store', 'syncMs', 'quorum', 'replica']);
  const store = o.store as Partial<BreakerStateStore> | undefined;
  if (typeof store?.syncBreaker !== 'function' || typeof store.leaseProbe !== 'function') {
    throw new TypeError(
      `${where}: option "shared.store" must be a BreakerStateStore such as redisStore({ client }) from 'bulwark/redis'; got ${describe(o.store)}`,
    );
  }
  const replica = o.replica ?? randomId();
  if (typeof replica !== 'string' || !/^[\w.:-]{1,64}$/.test(replica)) {
    throw new TypeError(
      `${where}: option "shared.replica" must be 1 to 64 letters, digits, '_', '.', ':' or '-'; got ${describe(o.replica)}`,
    );
  }
  return {
    store: o.store,
    syncMs: msOption(where, 'shared.syncMs', o.syncMs ?? 1000),
    quorum: intOption(where, 'shared.quorum', o.quorum, 2, 1, 1_000_000),
    replica,
  };
}

/** @internal What the shared layer needs from the breaker it serves. */
export interface SharedHost {
  readonly name: string;
  readonly probes: number;
  readonly probeTimeoutMs: number;
  now(): number;
  /** Calls `cb` after `ms` on the breaker's clock (unref'ed on the system clock): to report a change again. */
  later(cb: () => void, ms: number): unknown;
  /** The breaker's state now; 'isolated' when any isolation holds. */
  state(): 'closed' | 'open' | 'half-open' | 'isolated';
  probesInFlight(): number;
  /** Open for `ms` because the fleet is open (reason `'shared'`). */
  openFor(ms: number): void;
  /** Close because the fleet closed (reason `'shared'`). */
  close(): void;
  /** Isolate without reporting it (it came from the fleet); returns the release. */
  hold(): () => void;
  openDuration(): number;
}

/** @internal The mechanism: local counts, reports, the fleet's answers applied to the breaker. */
export class SharedCircuit {
  readonly #s: SharedSettings;
  readonly #host: SharedHost;
  #calls = 0;
  #failures = 0;
  #nextSyncAt = 0;
  #inFlight = false;
  #again = false;
  #epoch = -1;
  #voting = false;
  #event: '' | 'closed' | 'probe-failed' = '';
  #holds = 0;
  #heldForOthers: (() => void) | undefined;
  #leases = 0;
  #releaseLeases = false;
  #connected = false;
  #fleet: BreakerView | undefined;
  /** Changes of state (trip, probe end, isolation) made, and the last one the store heard of. */
  #changes = 0;
  #delivered = 0;
  #retry: unknown;
  /** The report timer while calls flow; none while the breaker is idle. */
  #beat: unknown;
  /** A call came since the report timer was armed. */
  #called = false;

  constructor(settings: SharedSettings, host: SharedHost) {
    this.#s = settings;
    this.#host = host;
  }

  /** On a call that read the clock: reports when `syncMs` has passed since the last report. */
  tick(now: number): void {
    if (now >= this.#nextSyncAt) this.#sync(now);
  }

  /**
   * On every call of a closed breaker, which reads no clock: the first call reports at once, then
   * one timer reports every `syncMs` while calls keep coming, and lapses when they stop (no timer
   * while idle). The fleet's answers are applied when they arrive, so this path costs a flag.
   */
  beat(): void {
    this.#called = true;
    if (this.#beat !== undefined) return;
    if (this.#nextSyncAt === 0) this.#sync(this.#host.now());
    this.#beat = this.#host.later(() => this.#onBeat(), this.#s.syncMs);
  }

  #onBeat(): void {
    this.#beat = undefined;
    if (!this.#called) return;
    this.#called = false;
    const now = this.#host.now();
    if (now >= this.#nextSyncAt) this.#sync(now);
    this.#beat = this.#host.later(() => this.#onBeat(), Math.max(1, this.#nextSyncAt - now));
  }

  /** Counts one outcome for the next report. */
  counted(failed: boolean): void {
    this.#calls++;
    if (failed) this.#failures++;
  }

  /** The breaker changed state on its own: vote, report a probe's end, give back leases; report now. */
  entered(to: 'closed' | 'open' | 'half-open', reason: string, now: number): void {
    if (reason === 'tripped' || reason === 'probe-failed' || reason === 'probe-timeout') this.#voting = true;
    if (to === 'closed') this.#voting = false;
    if (reason === 'probe-succeeded') this.#event = 'closed';
    else if (reason === 'probe-failed' || reason === 'probe-timeout') this.#event = 'probe-failed';
    if (to !== 'half-open' && this.#leases > 0) {
      this.#leases = 0;
      this.#releaseLeases = true;
    }
    if (to === 'half-open') return; // the timer moved it: nothing for the fleet
    this.#changes++;
    this.#sync(now);
  }

  /** An `isolate()` (+1) or its release (-1) on this replica: the fleet hears of it at once. */
  isolated(delta: number): void {
    this.#holds += delta;
    this.#changes++;
    this.#sync(this.#host.now());
  }

  /** True when this replica holds a lease for one more probe. */
  mayProbe(probesInFlight: number): boolean {
    return this.#leases > probesInFlight;
  }

  /** Asks the fleet for a probe lease; resolves once the answer is applied (never rejects). */
  lease(): Promise<void> {
    const s = this.#s;
    const rule = this.#rule();
    return Promise.resolve(s.store.leaseProbe(this.#host.name, s.replica, this.#epoch, rule)).then(
      (answer) => {
        if (answer === undefined) {
          // The store did not answer in time: this replica's own probe bound is all there is.
          this.#connected = false;
          this.#leases = Math.max(this.#leases, this.#host.probesInFlight() + 1);
          return;
        }
        this.#connected = true;
        if (answer.answer === 'granted') this.#leases++;
        else if (answer.answer === 'open') this.#openFor(answer.openRemainingMs);
        else if (answer.answer === 'closed') this.#fleetClosed();
        this.#epoch = answer.epoch;
      },
      () => undefined,
    );
  }

  stats(): SharedBreakerStats {
    return { connected: this.#connected, replica: this.#s.replica, fleet: this.#fleet };
  }

  #rule(): BreakerRule {
    const h = this.#host;
    return {
      quorum: this.#s.quorum,
      openMs: Math.max(1, h.openDuration()),
      reportTtlMs: this.#s.syncMs * 3,
      probes: h.probes,
      leaseMs: Math.max(1, h.probeTimeoutMs),
    };
  }

  #sync(now: number): void {
    this.#nextSyncAt = now + this.#s.syncMs;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#inFlight = true;
    const changes = this.#changes;
    const report: BreakerReport = {
      replica: this.#s.replica,
      seenEpoch: this.#epoch,
      voting: this.#voting,
      calls: this.#calls,
      failures: this.#failures,
      event: this.#event,
      holds: this.#holds,
      releaseLeases: this.#releaseLeases,
    };
    this.#calls = 0;
    this.#failures = 0;
    this.#event = '';
    this.#releaseLeases = false;
    let answer: PromiseLike<BreakerView | undefined>;
    try {
      answer = this.#s.store.syncBreaker(this.#host.name, report, this.#rule());
    } catch {
      answer = Promise.resolve(undefined);
    }
    Promise.resolve(answer)
      .then(
        (view) => this.#apply(view, report, changes),
        () => this.#apply(undefined, report, changes),
      )
      .finally(() => {
        this.#inFlight = false;
        if (this.#again) {
          this.#again = false;
          this.#sync(this.#host.now());
        }
      });
  }

  #apply(view: BreakerView | undefined, sent: BreakerReport, changes: number): void {
    if (view === undefined) {
      // Not heard: what was not delivered goes with the next report. A change of state (an
      // isolation above all) must not wait for a call that may never come: report again soon.
      this.#connected = false;
      this.#calls += sent.calls;
      this.#failures += sent.failures;
      if (this.#event === '') this.#event = sent.event;
      this.#releaseLeases ||= sent.releaseLeases;
      if (this.#delivered < this.#changes) this.#retrySoon();
      return;
    }
    this.#connected = true;
    this.#delivered = Math.max(this.#delivered, changes);
    this.#fleet = view;
    this.#epoch = view.epoch;
    if (view.isolatedByOthers && this.#heldForOthers === undefined) this.#heldForOthers = this.#host.hold();
    else if (!view.isolatedByOthers && this.#heldForOthers !== undefined) {
      const release = this.#heldForOthers;
      this.#heldForOthers = undefined;
      release();
    }
    if (view.state === 'open' && view.openRemainingMs > 0) this.#openFor(view.openRemainingMs);
    else if (view.state === 'closed' && (!this.#voting || (sent.voting && !view.voteCounted))) {
      // The fleet is closed, and this replica is open only because the fleet was, or on a vote
      // the fleet's close made stale. A vote cast after this report left is the next report's.
      this.#fleetClosed();
    }
  }

  #retrySoon(): void {
    if (this.#retry !== undefined) return;
    this.#retry = this.#host.later(() => {
      this.#retry = undefined;
      if (this.#delivered < this.#changes) this.#sync(this.#host.now());
    }, this.#s.syncMs);
  }

  #openFor(ms: number): void {
    const state = this.#host.state();
    if (state === 'closed' || (state === 'half-open' && this.#host.probesInFlight() === 0)) this.#host.openFor(ms);
  }

  /**
   * The fleet closed after this replica's vote: the vote is stale and goes with the close (kept,
   * it would count again in the new epoch and reopen a healthy fleet). A probe in flight still
   * decides this replica's own state, and votes again if it fails.
   */
  #fleetClosed(): void {
    this.#voting = false;
    const state = this.#host.state();
    if (state === 'open' || (state === 'half-open' && this.#host.probesInFlight() === 0)) this.#host.close();
  }
}
