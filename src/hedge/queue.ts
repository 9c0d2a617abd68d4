/**
 * When each hedged call's next attempt starts: one FIFO and one timer for every call of a policy.
 */
import type { Clock } from '../core/clock.js';

/** The part of a call the queue sees. @internal */
export interface Scheduled {
  /** When the next attempt is due, in clock time; set by the queue. */
  due: number;
  /** True while the call waits in the queue. */
  queued: boolean;
  /** Starts the call's next attempt. */
  launch(): void;
}

/**
 * Calls waiting for their next attempt, in due order: every delay is the same `delayMs` and time
 * only moves forward, so appending keeps the order. One timer, armed for the head, serves every
 * call in flight; it is cleared as soon as no call waits, so an idle policy has none.
 *
 * @internal
 */
export class LaunchQueue {
  readonly #clock: Clock;
  readonly #delayMs: number;
  #queue: Scheduled[] = [];
  #head = 0;
  #waiting = 0;
  #timer: unknown;
  #firing = false;

  constructor(clock: Clock, delayMs: number) {
    this.#clock = clock;
    this.#delayMs = delayMs;
  }

  /** Queues `call` for another attempt `delayMs` from now. */
  schedule(call: Scheduled): void {
    call.due = this.#clock.now() + this.#delayMs;
    call.queued = true;
    this.#queue.push(call);
    this.#waiting++;
    if (this.#timer === undefined && !this.#firing) this.#arm(this.#delayMs);
  }

  /** `call` settled: it no longer waits; with no call waiting, the timer goes. */
  unschedule(call: Scheduled): void {
    if (!call.queued) return;
    call.queued = false;
    if (--this.#waiting > 0 || this.#firing) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#fire(), ms);
  }

  #fire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    const queue = this.#queue;
    // Launches below may queue their call again (appended, due later) or settle calls; neither
    // arms the timer or resets the queue until the loop is done.
    this.#firing = true;
    try {
      while (this.#head < queue.length) {
        const call = queue[this.#head] as Scheduled;
        if (!call.queued) {
          this.#head++;
          continue;
        }
        if (call.due > now) break;
        this.#head++;
        call.queued = false;
        this.#waiting--;
        call.launch();
      }
    } finally {
      this.#firing = false;
    }
    if (this.#waiting === 0) {
      this.#queue = [];
      this.#head = 0;
      return;
    }
    if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
    const next = this.#queue[this.#head] as Scheduled;
    this.#arm(next.due - now);
  }
}
