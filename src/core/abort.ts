/**
 * Small helpers around AbortSignal that every policy needs the same way.
 */

/**
 * The reason a signal was aborted with, or a standard `AbortError` when it has none.
 *
 * @example
 * ```ts
 * import { abortReason } from 'bulwark';
 *
 * const controller = new AbortController();
 * controller.abort();
 * abortReason(controller.signal).name; // 'AbortError'
 * ```
 */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Calls `onAbort` once when `signal` aborts (at once if it already has) and returns the function
 * that removes the listener. Every policy detaches this way when the call settles, so a signal
 * shared by many calls never accumulates listeners.
 *
 * @example
 * ```ts
 * import { onAbort } from 'bulwark';
 *
 * const detach = onAbort(signal, (reason) => socket.destroy(reason as Error));
 * try { await work(); } finally { detach(); }
 * ```
 */
export function onAbort(signal: AbortSignal | undefined, onAbort: (reason: unknown) => void): () => void {
  if (signal === undefined) return noop;
  if (signal.aborted) {
    onAbort(abortReason(signal));
    return noop;
  }
  const listener = () => onAbort(abortReason(signal));
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

function noop(): void {}
