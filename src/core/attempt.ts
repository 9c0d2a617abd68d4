/**
 * Running one attempt of the user's work: a fresh signal for it, linked to the caller's, and a
 * result that settles at once when the caller aborts (a late outcome of the work is swallowed).
 */
import { abortOwned, abortReason, onAbort, ownedController } from './abort.js';
import type { Work } from './policy.js';

/**
 * Settles like `result`, except that when `caller` aborts first it rejects at once with the
 * caller's reason and aborts `controller` (the work's own signal) with it. After `result`
 * settled, the caller's abort changes nothing: a signal is never aborted after success.
 *
 * @internal
 */
export function followCaller<T>(result: PromiseLike<T>, caller: AbortSignal, controller: AbortController): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const detach = onAbort(caller, (reason) => {
      if (settled) return;
      settled = true;
      abortOwned(controller, reason);
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

/**
 * Calls `fn` with a signal of its own and `attempt`. Without a caller signal this is a plain call
 * turned into a promise; with one, see {@link followCaller}.
 *
 * @internal
 */
export function runAttempt<T>(fn: Work<T>, attempt: number, caller: AbortSignal | undefined): Promise<T> {
  if (caller?.aborted) return Promise.reject(abortReason(caller));
  const controller = ownedController();
  let result: T | PromiseLike<T>;
  try {
    result = fn({ signal: controller.signal, attempt });
  } catch (err) {
    return Promise.reject(err);
  }
  if (caller === undefined) return Promise.resolve(result);
  return followCaller(Promise.resolve(result), caller, controller);
}
