/**
 * How a retry learns that its own attempt opened a circuit breaker inside it: the breaker marks
 * the failure (the error thrown, or the value it counted as failed) that made it open, and retry
 * checks the mark before it waits. Waiting would only end in a refusal, so retry stops at once.
 * A WeakSet: nothing is kept alive, and nothing is written on the user's error.
 *
 * @internal
 */
const opened = new WeakSet<object>();

/** Marks `failure` as the outcome that opened a breaker (primitives cannot be marked). @internal */
export function markOpenedBreaker(failure: unknown): void {
  if ((typeof failure === 'object' && failure !== null) || typeof failure === 'function') opened.add(failure);
}

/** True when `failure` opened a breaker on its way out. @internal */
export function openedBreaker(failure: unknown): boolean {
  return ((typeof failure === 'object' && failure !== null) || typeof failure === 'function') && opened.has(failure);
}
