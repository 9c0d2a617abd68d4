import { abortReason, onAbort } from './abort.js';
import type { Clock } from './clock.js';

/**
 * Waits `ms` on `clock`. Rejects with the signal's reason the moment it aborts, clearing the
 * timer, so an aborted wait leaves nothing pending. A wait of 0 sets no timer.
 *
 * A caller awaits this wait (a retry's backoff), so it keeps the process alive as pending I/O
 * would: the system clock unrefs its timers for background work, and without this a script whose
 * only pending thing is a backoff would exit mid-retry (code 13 under top-level await, or 0
 * with the work silently undone).
 *
 * @internal
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const handle = clock.setTimeout(() => {
      detach();
      resolve();
    }, ms);
    (handle as { ref?: () => unknown } | null)?.ref?.();
    const detach = onAbort(signal, (reason) => {
      clock.clearTimeout(handle);
      reject(reason);
    });
  });
}
