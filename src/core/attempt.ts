/**
 * Running one attempt of the user's work: a fresh signal for it, linked to the caller's, and a
 * result that settles at once when the caller aborts (a late outcome of the work is swallowed).
 */
import { abortReason, onAbort } from './abort.js';
import type { ExecuteContext, Work } from './policy.js';

/**
 * Calls `fn` with its own signal and `attempt`. Without a caller signal this is a plain call
 * turned into a promise. With one, the caller's abort aborts the attempt's signal and rejects
 * the returned promise with the caller's reason at once; after the attempt settled, a caller's
 * abort changes nothing.
 *
 * @internal
 */
export function runAttempt<T>(fn: Work<T>, attempt: number, caller: AbortSignal | undefined): Promise<T> {
  const controller = new AbortController();
  const context: ExecuteContext = { signal: controller.signal, attempt };
  if (caller === undefined) {
    try {
      return Promise.resolve(fn(context));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  if (caller.aborted) return Promise.reject(abortReason(caller));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const detach = onAbort(caller, (reason) => {
      if (settled) return;
      settled = true;
      controller.abort(reason);
      reject(reason);
    });
    const finish = (ok: boolean, value: unknown) => {
      if (settled) return;
      settled = true;
      detach();
      if (ok) resolve(value as T);
      else reject(value);
    };
    try {
      Promise.resolve(fn(context)).then(
        (value) => finish(true, value),
        (err: unknown) => finish(false, err),
      );
    } catch (err) {
      finish(false, err);
    }
  });
}
