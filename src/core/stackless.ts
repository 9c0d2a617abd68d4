/**
 * Cheap refusals. A policy refuses exactly when the process is overloaded, so a refusal must cost
 * far less than the call it replaces. Capturing the stack is most of what building an Error costs
 * (about 14x the rest on Node 24), and a refusal's stack would only show bulwark's own frames and
 * the microtask that ran them; the error's `policy` and `code` already say where it came from.
 */

/**
 * Calls `make` with stack capture switched off, so the error it builds has a one-line `stack`
 * (its name and message). Runtimes without `Error.stackTraceLimit` ignore the setting.
 *
 * @internal
 */
export function withoutStack<E>(make: () => E): E {
  const holder = Error as { stackTraceLimit?: number };
  const saved = holder.stackTraceLimit;
  holder.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    if (saved === undefined) delete holder.stackTraceLimit;
    else holder.stackTraceLimit = saved;
  }
}

/**
 * A promise that rejects with `error` one microtask from now. `Promise.reject(error)` is rejected
 * before the caller can attach its handler, so the runtime records it as a possible unhandled
 * rejection and forgets it again when the handler comes: on Node 24 that bookkeeping makes a
 * refusal about 4x dearer (3.3 µs against 0.9 µs, measured side by side). One microtask later the
 * caller's `await` or `catch` is already there. A caller that never handles it still gets the
 * usual unhandled rejection.
 *
 * @internal
 */
export function rejectSoon<T>(error: unknown): Promise<T> {
  return new Promise<T>((_, reject) => {
    queueMicrotask(() => reject(error));
  });
}
