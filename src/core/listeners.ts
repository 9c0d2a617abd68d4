/**
 * Events of a primitive, for metrics and logs. A listener that throws is isolated: the error is
 * dropped and the call being observed goes on as if nothing was listening.
 */

/** Unsubscribes the listener it was returned for; calling it twice is harmless. */
export type Unsubscribe = () => void;

/**
 * Something that emits typed events. `on` returns the function that removes the listener.
 *
 * @example
 * ```ts
 * import { timeout } from 'bulwark/timeout';
 *
 * const policy = timeout(1000);
 * const off = policy.on('timeout', ({ ms }) => console.warn(`call exceeded ${ms} ms`));
 * // later
 * off();
 * ```
 */
export interface EventSource<Events extends object> {
  /** Calls `listener` on every `event`; returns the function that stops it. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): Unsubscribe;
}

/**
 * The listener registry behind every primitive's `on`. `emit` costs one property read when
 * nobody listens.
 *
 * @internal
 */
export class Emitter<Events extends object> implements EventSource<Events> {
  #listeners: Map<keyof Events, Array<(payload: never) => void>> | undefined;
  #version = 0;

  /**
   * Changes each time a listener is added or removed: a hot path that asks `listening` about
   * several events can keep its answer until this moves.
   */
  get version(): number {
    return this.#version;
  }

  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): Unsubscribe {
    if (typeof listener !== 'function') {
      throw new TypeError(`on("${String(event)}"): listener must be a function; got ${typeof listener}`);
    }
    this.#listeners ??= new Map();
    // Copy on write, so a listener that unsubscribes during emit does not skip its neighbour.
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener as (payload: never) => void]);
    this.#version++;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const list = this.#listeners?.get(event);
      if (!list) return;
      const index = list.indexOf(listener as (payload: never) => void);
      if (index === -1) return;
      this.#version++;
      const next = list.slice(0, index).concat(list.slice(index + 1));
      if (next.length === 0) this.#listeners?.delete(event);
      else this.#listeners?.set(event, next);
    };
  }

  /** True when someone listens to `event`: lets a hot path skip building a payload nobody reads. */
  listening(event: keyof Events): boolean {
    return this.#listeners?.has(event) === true;
  }

  /** True when someone listens to any event. */
  listeningAny(): boolean {
    return this.#listeners !== undefined && this.#listeners.size > 0;
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const list = this.#listeners?.get(event);
    if (list === undefined) return;
    for (const listener of list) {
      try {
        (listener as (p: Events[K]) => void)(payload);
      } catch {
        // Isolated by design: an observer must never change the outcome of the call it observes.
      }
    }
  }
}
