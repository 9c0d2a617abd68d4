/**
 * Contexts whose signal is made only when the work reads it. Creating an AbortController and its
 * signal costs more than the rest of a pass-through call, and about a fifth of a timed one, so a
 * policy hands its work a context that makes the signal on first read: work that never reads it
 * (most work that is not I/O) never pays for it. A pass-through policy (one that never aborts the
 * work itself: a rate limiter, a fallback) with a caller hands on the caller's own signal, which
 * aborts exactly when a child of it would.
 */
import { abortReason, onAbort, ownedController } from './abort.js';
import { type ExecuteContext, type ExecuteOptions, isThenable, type Work } from './policy.js';

/**
 * A policy that aborts its work (the timeout): it makes the work's signal when the work first
 * reads it, already aborted if the policy aborted the work before that.
 *
 * @internal
 */
export interface SignalOwner {
  workSignal(): AbortSignal;
}

/**
 * A context whose signal is made on first read: by its `owner`, or without one, a signal of its
 * own that nothing will abort (nobody is there to abort it), marked so that nested policies do
 * not follow it. Its own enumerable property is `attempt` alone: it prints and serializes as
 * small as a plain `{ signal, attempt }` would, and exposes nothing of the policy behind it.
 *
 * @internal
 */
export class LazyContext implements ExecuteContext {
  readonly attempt: number;
  readonly #owner: SignalOwner | undefined;
  #signal: AbortSignal | undefined;

  constructor(attempt: number, owner?: SignalOwner) {
    this.attempt = attempt;
    this.#owner = owner;
  }

  get signal(): AbortSignal {
    this.#signal ??= this.#owner === undefined ? ownedController(true).signal : this.#owner.workSignal();
    return this.#signal;
  }
}

/** The context for work run under `caller` (or none). @internal */
export function passThroughContext(caller: AbortSignal | undefined, attempt: number): ExecuteContext {
  return caller === undefined ? new LazyContext(attempt) : { signal: caller, attempt };
}

/**
 * Settles like `result`, except that when `caller` aborts first it rejects at once with the
 * caller's reason (a late outcome of the work is dropped, never an unhandled rejection).
 *
 * @internal
 */
export function untilAborted<T>(result: PromiseLike<T>, caller: AbortSignal): Promise<T> {
  if (caller.aborted) {
    Promise.resolve(result).then(undefined, noop);
    return Promise.reject(abortReason(caller));
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const detach = onAbort(caller, (reason) => {
      if (settled) return;
      settled = true;
      reject(reason);
    });
    result.then(
      (value) => {
        if (settled) return;
        settled = true;
        detach();
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        detach();
        reject(err);
      },
    );
  });
}

function noop(): void {}

/**
 * Runs `fn` once for a pass-through policy: the caller's signal (or a lazy one of its own), a
 * synchronous result or throw turned into a promise, and with a caller, an abort that settles the
 * call at once.
 *
 * @internal
 */
export function runPassThrough<T>(fn: Work<T>, options: ExecuteOptions | undefined): Promise<T> {
  const caller = options?.signal;
  if (caller?.aborted) return Promise.reject(abortReason(caller));
  let result: T | PromiseLike<T>;
  try {
    result = fn(passThroughContext(caller, options?.attempt ?? 1));
  } catch (err) {
    return Promise.reject(caller?.aborted ? abortReason(caller) : err);
  }
  if (caller === undefined) return Promise.resolve(result);
  // An abort during the work's synchronous part is the outcome too (docs/core.md, "When the caller aborts").
  return isThenable(result) ? untilAborted(result, caller) : settledUnlessAborted(result, caller);
}

/**
 * The outcome of work that settled synchronously under `caller`: the caller's reason if it
 * aborted while the work ran, else `value`.
 *
 * @internal
 */
export function settledUnlessAborted<T>(value: T, caller: AbortSignal): Promise<T> {
  return caller.aborted ? Promise.reject(abortReason(caller)) : Promise.resolve(value);
}
