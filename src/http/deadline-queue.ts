/**
 * The deadline mechanism: one record per request, one timer for all of them. Every request of a
 * `requestDeadline` has the same `ms` and the clock only moves forward, so deadlines fall due in
 * arrival order: a FIFO queue with one timer armed for its head replaces a timer per request.
 * The signal is made only when someone asks for it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { abortOwned, ownedController } from '../core/abort.js';
import { type Clock, systemClock } from '../core/clock.js';

/** One request under a deadline. @internal */
export interface Pending {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** When it falls due on the clock; Infinity when exempt. */
  readonly due: number;
  /** The fastify reply to answer through, or undefined to write on `res`. */
  readonly reply: unknown;
  /** Finished, closed or expired: the queue skips it. */
  done: boolean;
  controller: AbortController | undefined;
  /** What the signal aborted (or will abort) with; undefined while it has not. */
  reason: unknown;
}

const STATE: unique symbol = Symbol('bulwark.http.deadline');
type Carrying = { [STATE]?: Pending };

/** The record of a request, if a deadline armed it. @internal */
export function pendingOf(req: IncomingMessage): Pending | undefined {
  return (req as IncomingMessage & Carrying)[STATE];
}

/** The request's signal, made on first use (already aborted if its reason came first). @internal */
export function signalOf(p: Pending): AbortSignal {
  if (p.controller === undefined) {
    p.controller = ownedController();
    if (p.reason !== undefined) abortOwned(p.controller, p.reason);
  }
  return p.controller.signal;
}

/** Aborts the request's signal with `reason`, unless it was aborted already. @internal */
export function abortPending(p: Pending, reason: unknown): void {
  if (p.reason !== undefined) return;
  p.reason = reason;
  if (p.controller !== undefined) abortOwned(p.controller, reason);
}

/** The FIFO of deadlines and its one timer. @internal */
export class DeadlineQueue {
  readonly #clock: Clock;
  readonly #ms: number;
  readonly #expire: (p: Pending) => void;
  readonly #onClose: (this: ServerResponse) => void;
  #items: Pending[] = [];
  #head = 0;
  #live = 0;
  #timer: unknown;
  /**
   * Keep the timer armed when the last request is over (system clock only). Under load a
   * request is often alone in its turn of the loop: it arms the timer, its response closes on
   * the next tick, and clearing there meant a timer set and cleared for every request (a timer
   * list made and dropped, native calls), measured in the profile. The system clock's timers are
   * unref'ed, so a lingering one holds nothing alive, and it fires at most once into an empty
   * queue. Any other clock (FakeClock in tests) disarms the moment nothing is live. The same
   * rule as the timeout's deadline queue (decision 0011).
   */
  readonly #lingers: boolean;

  constructor(clock: Clock, ms: number, expire: (p: Pending) => void, clientGone: () => unknown) {
    this.#clock = clock;
    this.#ms = ms;
    this.#expire = expire;
    this.#lingers = clock === systemClock;
    const queue = this;
    // One listener function for every response: the record rides on the request.
    this.#onClose = function (this: ServerResponse) {
      const p = (this as ServerResponse & Carrying)[STATE];
      if (p === undefined) return;
      queue.finish(p);
      if (!this.writableFinished) abortPending(p, clientGone());
    };
  }

  /** Records a request; `exempt` ones get a signal for a client leaving, and no deadline. */
  add(req: IncomingMessage, res: ServerResponse, reply: unknown, exempt: boolean): Pending {
    const due = exempt ? Number.POSITIVE_INFINITY : this.#clock.now() + this.#ms;
    const p: Pending = { req, res, due, reply, done: exempt, controller: undefined, reason: undefined };
    (req as IncomingMessage & Carrying)[STATE] = p;
    (res as ServerResponse & Carrying)[STATE] = p;
    res.on('close', this.#onClose);
    if (!exempt) {
      this.#items.push(p);
      this.#live++;
      if (this.#timer === undefined) this.#arm(this.#ms);
    }
    return p;
  }

  /** The request is over (finished or closed): its deadline no longer matters. */
  finish(p: Pending): void {
    if (p.done) return;
    p.done = true;
    this.#live--;
    if (this.#live === 0) {
      // Idle: no timer stays armed for requests that are all over (but see #lingers).
      if (!this.#lingers) {
        this.#clock.clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      this.#items = [];
      this.#head = 0;
    }
  }

  #arm(delay: number): void {
    // Whole milliseconds, rounded up: never early, and the system clock's timers group by duration.
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, Math.ceil(delay)));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = this.#clock.now();
    const items = this.#items;
    while (this.#head < items.length) {
      const p = items[this.#head] as Pending;
      if (!p.done) {
        if (p.due > now) break;
        p.done = true;
        this.#live--;
        this.#expire(p);
      }
      this.#head++;
    }
    if (this.#head === items.length) {
      this.#items = [];
      this.#head = 0;
    } else {
      if (this.#head > 1024) {
        this.#items = items.slice(this.#head);
        this.#head = 0;
      }
      if (this.#timer === undefined) this.#arm((this.#items[this.#head] as Pending).due - now);
    }
  };
}
