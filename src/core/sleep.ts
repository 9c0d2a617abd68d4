import { abortReason, onAbort } from './abort.js';
import type { Clock } from './clock.js';

/**
 * Waits `ms` on `clock`. Rejects with the signal's reason the moment it aborts, clearing the
 * timer, so an aborted wait leaves nothing pending. A wait of 0 sets no timer.
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
    const detach = onAbort(signal, (reason) => {
      clock.clearTimeout(handle);
      reject(reason);
    });
  });
}
