/**
 * Running one attempt of the user's work: a fresh signal for it, linked to the caller's, and a
 * result that settles at once when the caller aborts (a late outcome of the work is swallowed).
 *
 * The rule every policy and `compose` follow when the caller aborts (docs/core.md): the caller
 * is followed from before the work starts, so an abort during the work's synchronous part reaches
 * its signal at once; a call whose caller aborted before the work settled rejects with the
 * caller's reason, whether the work then returned a value, threw or returned a promise. The
 * work's signal is therefore aborted only while the work runs, never after it returned.
 */
import { abortOwned, abortReason, canAbort, INERT_SIGNAL, isAborted, onAbort, ownedController } from './abort.js';
import { LazyContext } from './context.js';
import { type ExecuteContext, isThenable, type Rest, runWork, type Work } from './policy.js';

function noop(): void {}

/** The first attempt's context when no user code sees it (see `hidden`): one for every call. */
const HIDDEN_FIRST: ExecuteContext = Object.freeze({ signal: INERT_SIGNAL, attempt: 1 });

/** A late rejection of work whose call already settled must not surface as unhandled. @internal */
export function ignoreLate(result: unknown): void {
  if (isThenable(result)) result.then(undefined, noop);
}

/**
 * Calls `fn` with a signal of its own and `attempt`. Without a caller that can abort, this is a
 * plain call turned into a promise, and the work's signal is inert (its own, as every attempt's
 * is, but nothing will abort it, so nested policies do not follow it). `hidden`: see
 * `SIGNAL_HIDDEN` in policy.ts.
 *
 * @internal
 */
export function runAttempt<T>(
  fn: Work<T>,
  attempt: number,
  caller: AbortSignal | undefined,
  hidden = false,
  rest: Rest | undefined = undefined,
): Promise<T> {
  if (isAborted(caller)) return Promise.reject(abortReason(caller as AbortSignal));
  if (caller === undefined || !canAbort(caller)) {
    try {
      // `hidden`: no user code sees this context (compose put a timeout inside), so the shared
      // never-aborting signal does; otherwise the attempt gets one of its own, made if read.
      return Promise.resolve(
        runWork(
          fn,
          rest,
          hidden ? (attempt === 1 ? HIDDEN_FIRST : { signal: INERT_SIGNAL, attempt }) : new LazyContext(attempt),
        ),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }
  const controller = ownedController();
  let settled = false;
  let rejectNow: ((reason: unknown) => void) | undefined;
  const detach = onAbort(caller, (reason) => {
    if (settled) return;
    settled = true;
    abortOwned(controller, reason);
    rejectNow?.(reason);
  });
  let result: T | PromiseLike<T>;
  try {
    result = runWork(fn, rest, { signal: controller.signal, attempt });
  } catch (err) {
    detach();
    return Promise.reject(settled ? abortReason(caller) : err);
  }
  if (settled) {
    ignoreLate(result);
    return Promise.reject(abortReason(caller));
  }
  if (!isThenable(result)) {
    settled = true;
    detach();
    return Promise.resolve(result);
  }
  const work = result;
  return new Promise<T>((resolve, reject) => {
    rejectNow = reject;
    work.then(
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
