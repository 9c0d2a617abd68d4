/**
 * AbortSignal helpers every policy uses the same way. Linking one signal to another with
 * addEventListener costs about half a microsecond per call on Node 24 (more than the rest of a
 * successful call), so signals that bulwark creates itself carry a private list of children that
 * their own abort notifies directly; only foreign signals pay for a DOM event listener.
 */

const CHILDREN: unique symbol = Symbol('bulwark.abort.children') as never;

type Child = (reason: unknown) => void;
/** `undefined`: no follower yet; `null`: nothing will ever abort it, so nobody needs to follow. */
type Owned = AbortSignal & { [CHILDREN]?: Child[] | undefined | null };

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
 * An AbortController whose signal other bulwark policies can follow without an event listener.
 * Abort it with {@link abortOwned}, never with `controller.abort()` directly.
 *
 * `inert`: the policy will never abort it (a retry attempt with no caller signal). Policies
 * nested inside then skip following it at all: no closure, no list, nothing to detach.
 *
 * @internal
 */
export function ownedController(inert = false): AbortController {
  const controller = new AbortController();
  (controller.signal as Owned)[CHILDREN] = inert ? null : undefined;
  return controller;
}

/**
 * Aborts a controller made by {@link ownedController}: its signal's listeners run as usual, then
 * every policy that follows it.
 *
 * @internal
 */
export function abortOwned(controller: AbortController, reason: unknown): void {
  const signal = controller.signal as Owned;
  if (signal.aborted) return;
  controller.abort(reason);
  const children = signal[CHILDREN];
  if (children === undefined || children === null) return;
  signal[CHILDREN] = undefined;
  const settled = abortReason(signal);
  for (const child of children) child(settled);
}

/**
 * The signal a breaker called without a caller signal hands its work (a breaker passes its
 * caller's signal on; this stands in for a caller that can never abort). One for all such calls: it never aborts, so no call can affect another through it,
 * and it keeps no listeners (adding one is a no-op, since it could never be called), so work that
 * never removes its listeners leaks nothing through it. Saves an AbortController per call.
 *
 * @internal
 */
export const INERT_SIGNAL: AbortSignal = (() => {
  const signal = new AbortController().signal as Owned;
  signal[CHILDREN] = null;
  Object.defineProperty(signal, 'addEventListener', { value: noop });
  Object.defineProperty(signal, 'onabort', { get: () => null, set: noop });
  return signal;
})();

/**
 * True when `signal` is given and aborted. An inert signal answers without the `aborted` getter,
 * which costs more than the rest of a check on every call of a pipeline.
 *
 * @internal
 */
export function isAborted(signal: AbortSignal | undefined): boolean {
  // The shared inert signal is what a pipeline's inner policies see on every call: one compare.
  return signal !== undefined && signal !== INERT_SIGNAL && (signal as Owned)[CHILDREN] !== null && signal.aborted;
}

/**
 * False for a signal nothing can abort ({@link INERT_SIGNAL}, an inert {@link ownedController}):
 * following it
 * would only cost a closure.
 *
 * @internal
 */
export function canAbort(signal: AbortSignal): boolean {
  return signal !== INERT_SIGNAL && (signal as Owned)[CHILDREN] !== null;
}

/**
 * Calls `onAbort` once when `signal` aborts (at once if it already has) and returns the function
 * that stops it. Every policy detaches when its call settles, so a signal shared by many calls
 * never accumulates listeners.
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
  if (CHILDREN in signal) {
    const owned = signal as Owned;
    if (owned[CHILDREN] === null) return noop;
    const children = owned[CHILDREN] ?? [];
    owned[CHILDREN] = children;
    children.push(onAbort);
    return () => {
      const list = owned[CHILDREN];
      const index = list === undefined || list === null ? -1 : list.indexOf(onAbort);
      if (index !== -1) list?.splice(index, 1);
    };
  }
  const listener = () => onAbort(abortReason(signal));
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

function noop(): void {}
