/**
 * The deadline queue every timeout on one clock shares. One real timer per clock is armed, for
 * the earliest deadline only; a call that settles in time unlinks its deadline in O(1) and makes
 * no timer call. Each policy has its own lane: its `ms` is fixed and the clock never goes back,
 * so the deadlines of one policy arrive in order and a lane is a plain FIFO (a doubly linked
 * list), never a heap. Measured and argued in docs/decisions/0011-timeout-deadline-queue.md.
 */
import { type Clock, systemClock } from '../core/clock.js';
import { MAX_TIMER_MS } from '../core/options.js';

/**
 * One pending deadline: a node of its lane. The timeout's in-flight call extends it, so a call
 * costs one object for its place in the queue and its own state.
 *
 * @internal
 */
export abstract class Deadline {
  /** When it falls due, on its clock. */
  at = 0;
  /** The lane it waits in; undefined once it left (settled, cancelled or expired). */
  lane: Lane | undefined = undefined;
  prev: Deadline | undefined = undefined;
  next: Deadline | undefined = undefined;

  /** Time ran out. Called once, after the deadline left `lane`. */
  abstract expire(lane: Lane): void;
}

/**
 * The deadlines of one policy, oldest first.
 *
 * @internal
 */
export class Lane {
  readonly ms: number;
  /** What the deadlines of this lane share (the policy's settings): held here, not by each. */
  readonly owner: unknown;
  readonly #timer: ClockTimer;
  head: Deadline | undefined = undefined;
  tail: Deadline | undefined = undefined;
  /** Listed among its timer's lanes (it stays listed while empty until the timer next looks). */
  listed = false;

  constructor(ms: number, timer: ClockTimer, owner?: unknown) {
    this.ms = ms;
    this.owner = owner;
    this.#timer = timer;
  }

  /** Queues `deadline` for `ms` from now. */
  add(deadline: Deadline): void {
    const timer = this.#timer;
    deadline.at = timer.clock.now() + this.ms;
    deadline.lane = this;
    const tail = this.tail;
    if (tail === undefined) {
      this.head = deadline;
      this.tail = deadline;
      if (!this.listed) timer.list(this);
    } else {
      tail.next = deadline;
      deadline.prev = tail;
      this.tail = deadline;
    }
    timer.added(deadline.at);
  }

  /** Takes `deadline` out of the queue: no timer call, whatever its place. */
  remove(deadline: Deadline): void {
    const { prev, next } = deadline;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    deadline.prev = undefined;
    deadline.next = undefined;
    deadline.lane = undefined;
    this.#timer.removed();
  }
}

/**
 * The one real timer of a clock, armed for the earliest deadline of all its lanes.
 *
 * @internal
 */
export class ClockTimer {
  readonly clock: Clock;
  /**
   * Keep the timer armed when the queue empties. Re-arming the system clock's timer for every
   * call of a sequential caller costs a timer list and a native call each time (decision 0011);
   * its timers are unref'ed, so a lingering one holds nothing alive, and it fires at most once
   * into an empty queue. Any other clock (FakeClock in tests) disarms the moment nothing waits.
   */
  readonly #lingers: boolean;
  /** Lanes that had a deadline since the timer last looked; empty ones are dropped then. */
  #lanes: Lane[] = [];
  /** Deadlines in all lanes. */
  #size = 0;
  #handle: unknown;
  /** When the armed timer fires; Infinity when none is armed. */
  #armedAt = Number.POSITIVE_INFINITY;
  #firing = false;
  readonly #fire = (): void => this.#onFire();

  constructor(clock: Clock, lingers: boolean) {
    this.clock = clock;
    this.#lingers = lingers;
  }

  list(lane: Lane): void {
    lane.listed = true;
    this.#lanes.push(lane);
  }

  added(at: number): void {
    this.#size++;
    // Later than the armed timer (the usual case: same ms, later start): nothing to do.
    if (at < this.#armedAt && !this.#firing) this.#arm(at, this.clock.now());
  }

  removed(): void {
    if (--this.#size > 0 || this.#firing) return;
    if (this.#lingers) {
      // One lane (one policy, called in sequence) stays listed: unlisting it for every call
      // would cost more than the call. More lanes are let go, so dropped policies are freed.
      if (this.#lanes.length > 1) this.#unlistAll();
      return;
    }
    this.#disarm();
    this.#unlistAll();
  }

  #arm(at: number, now: number): void {
    if (this.#handle !== undefined) this.clock.clearTimeout(this.#handle);
    this.#armedAt = at;
    // Whole milliseconds, rounded up: a timer never fires before the deadline it is armed for,
    // and the system clock's timers group by duration, which a fractional delay would defeat.
    // At most the largest delay a timer holds (a longer one fires at once on most runtimes);
    // a timer that fires early re-arms for the rest.
    this.#handle = this.clock.setTimeout(this.#fire, Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(at - now))));
  }

  #disarm(): void {
    if (this.#handle === undefined) return;
    this.clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }

  #unlistAll(): void {
    for (const lane of this.#lanes) lane.listed = false;
    this.#lanes.length = 0;
  }

  #onFire(): void {
    this.#handle = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    this.#firing = true;
    try {
      const now = this.clock.now();
      // Due deadlines expire in time order across lanes. expire() runs listeners of the
      // work's signal, which may start or settle other timed calls: the lanes are read afresh.
      for (let lane = this.#earliest(); lane?.head !== undefined && lane.head.at <= now; lane = this.#earliest()) {
        const due = lane.head;
        lane.remove(due);
        due.expire(lane);
      }
    } finally {
      this.#firing = false;
      this.#compact();
      const next = this.#earliest()?.head;
      if (next !== undefined) this.#arm(next.at, this.clock.now());
    }
  }

  /** The lane whose head falls due first, if any lane has one. */
  #earliest(): Lane | undefined {
    let best: Lane | undefined;
    for (const lane of this.#lanes) {
      const head = lane.head;
      if (head !== undefined && (best === undefined || head.at < (best.head as Deadline).at)) best = lane;
    }
    return best;
  }

  #compact(): void {
    if (this.#size === 0) {
      this.#unlistAll();
      return;
    }
    let kept = 0;
    for (const lane of this.#lanes) {
      if (lane.head === undefined) lane.listed = false;
      else this.#lanes[kept++] = lane;
    }
    this.#lanes.length = kept;
  }
}

const TIMERS = new WeakMap<Clock, ClockTimer>();

/**
 * The shared timer of `clock`, made on first use. Held weakly: a clock nobody holds takes its
 * queue with it.
 *
 * @internal
 */
export function clockTimer(clock: Clock): ClockTimer {
  let timer = TIMERS.get(clock);
  if (timer === undefined) {
    timer = new ClockTimer(clock, clock === systemClock);
    TIMERS.set(clock, timer);
  }
  return timer;
}
