/**
 * The waiting line of a bulkhead: first in, first out, and any waiter can leave from the middle
 * in O(1) when its caller aborts, so a thousand aborts cost a thousand steps, not a million.
 */

/** One call waiting for a place. @internal */
export interface Waiter {
  /** Starts the call: it got a place. */
  readonly start: () => void;
  /** Refuses the call; `reason` is what it rejects with. */
  readonly fail: (reason: unknown) => void;
  /** Clock time it entered the line. */
  readonly enteredAt: number;
  /** Clock time after which it is refused (Infinity without `queueTimeoutMs`). */
  readonly deadline: number;
  /** Stops following the caller's signal. */
  detach: () => void;
  prev: Waiter | undefined;
  next: Waiter | undefined;
  /** False once it left the line (started, refused or aborted). */
  waiting: boolean;
}

/** A doubly linked FIFO of waiters. @internal */
export class WaitLine {
  #head: Waiter | undefined;
  #tail: Waiter | undefined;
  size = 0;

  get head(): Waiter | undefined {
    return this.#head;
  }

  push(waiter: Waiter): void {
    waiter.prev = this.#tail;
    waiter.next = undefined;
    if (this.#tail === undefined) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    waiter.waiting = true;
    this.size++;
  }

  /** Takes `waiter` out of the line, wherever it is; a waiter that already left is ignored. */
  remove(waiter: Waiter): void {
    if (!waiter.waiting) return;
    waiter.waiting = false;
    if (waiter.prev === undefined) this.#head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.#tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = undefined;
    waiter.next = undefined;
    waiter.detach();
    this.size--;
  }
}
