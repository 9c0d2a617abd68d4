/**
 * The context a pass-through policy (one that never aborts the work itself: a rate limiter, a
 * fallback) hands its work. Creating an AbortController costs more than the rest of such a call,
 * so without a caller the signal is made only when the work reads it; with a caller, the work
 * gets the caller's own signal, which aborts exactly when a child of it would.
 */
import { abortReason, onAbort } from './abort.js';
import { type ExecuteContext, type ExecuteOptions, isThenable, type Work } from './policy.js';

/**
 * A context whose signal (one of its own, never aborted: nobody is there to abort it) is made on
 * first read.
 *
 * @internal
 */
export class LazyContext implements ExecuteContext {
  readonly attempt: number;
  #signal: AbortSignal | undefined;

  constructor(attempt: number) {
    this.attempt = attempt;
  }

  get signal(): AbortSignal {
    this.#signal ??= new AbortController().signal;
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
    return Promise.reject(err);
  }
  if (!isThenable(result)) return Promise.resolve(result);
  return caller === undefined ? Promise.resolve(result) : untilAborted(result, caller);
}
