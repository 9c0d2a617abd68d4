/**
 * Refusals without a stack trace. A policy refuses exactly when the process is overloaded, and
 * capturing the stack is most of what building an Error costs (about 1 µs of a 1.3 µs refusal on
 * Node 24). The stack of a refusal would only show bulwark's own frames and the microtask that
 * ran them; the error's `policy` and `code` already say where it came from.
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
