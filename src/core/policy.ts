/**
 * The contract every primitive shares, and `compose`, which nests them.
 */
import { runAttempt } from './attempt.js';

/** What a policy hands the work it runs. */
export interface ExecuteContext {
  /**
   * Aborts when the work is no longer wanted: its time ran out, or the caller gave up. Pass it
   * on (`fetch(url, { signal })`) so the work stops too. Never aborted after the work succeeded.
   */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, and so on. */
  readonly attempt: number;
}

/** Per-call options of {@link Policy.execute}. */
export interface ExecuteOptions {
  /** The caller's signal: when it aborts, the call rejects at once with its reason. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The attempt an enclosing retry is on, handed down by `compose` so inner policies report it
   * in their context. Leave it unset when calling a policy directly.
   */
  readonly attempt?: number | undefined;
}

/** The work a policy runs: sync or async, given the call's context. */
export type Work<T> = (context: ExecuteContext) => T | PromiseLike<T>;

/**
 * A resilience primitive: it runs `fn` under some rule (a time limit, retries, a breaker) and
 * settles with `fn`'s result or an error. Policies nest with {@link compose}.
 *
 * @example
 * ```ts
 * import type { Policy } from 'bulwark';
 *
 * async function getUser(policy: Policy, id: string) {
 *   return policy.execute(async ({ signal }) => {
 *     const res = await fetch(`https://api.example.com/users/${id}`, { signal });
 *     return (await res.json()) as { id: string; name: string };
 *   });
 * }
 * ```
 */
export interface Policy {
  /**
   * What the policy is: `'timeout'`, `'retry'`, `'breaker'`, `'bulkhead'`, `'rate-limit'`,
   * `'fallback'`, `'hedge'`, `'compose'`. Metrics, health checks and compose key on it. Optional
   * so that a policy of your own needs only `execute`.
   */
  readonly kind?: string;
  /** Runs `fn` under this policy; resolves with its value or rejects with why it failed. */
  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T>;
}

/** True when `value` is a promise or any other thenable. @internal */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

/**
 * True when `value` looks like a {@link Policy} (an object with an `execute` method).
 *
 * @example
 * ```ts
 * import { isPolicy } from 'bulwark';
 * import { timeout } from 'bulwark/timeout';
 *
 * isPolicy(timeout(100)); // true
 * isPolicy({}); // false
 * ```
 */
export function isPolicy(value: unknown): value is Policy {
  return typeof value === 'object' && value !== null && typeof (value as Policy).execute === 'function';
}

/**
 * A policy made of others, outermost first. Its parts stay reachable (for metrics and
 * introspection) through `policies`.
 */
export interface ComposedPolicy extends Policy {
  readonly kind: 'compose';
  /** The parts, outermost first, exactly as given to {@link compose}. */
  readonly policies: readonly Policy[];
}

/**
 * Set by `compose` in the options of a retry whose attempts' signal no user code will see: a
 * timeout further in gives the work a signal of its own. Such a retry, called without a caller
 * signal, hands its attempts the shared never-aborting signal instead of a controller each.
 *
 * @internal
 */
export const SIGNAL_HIDDEN: unique symbol = Symbol('bulwark.signalHidden') as never;

/** Options as compose passes them to a retry whose attempts' signal is hidden. @internal */
export type HiddenSignalOptions = ExecuteOptions & { readonly [SIGNAL_HIDDEN]?: true };

class Composed implements ComposedPolicy {
  readonly kind = 'compose' as const;
  readonly policies: readonly Policy[];
  /** Per level: a retry with a timeout somewhere inside it. */
  readonly #hidden: readonly boolean[];

  constructor(policies: readonly Policy[]) {
    this.policies = policies;
    this.#hidden = policies.map(
      (policy, i) => policy.kind === 'retry' && policies.slice(i + 1).some((inner) => inner.kind === 'timeout'),
    );
  }

  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T> {
    const policies = this.policies;
    const first = policies[0];
    if (first === undefined) return runAttempt(fn, options?.attempt ?? 1, options?.signal);
    return first.execute(
      policies.length === 1 ? fn : (context) => nest(policies, this.#hidden, 1, fn, context),
      this.#hidden[0] === true ? hide(options) : options,
    );
  }
}

/**
 * Runs policy `index` around the rest. The context a policy hands its work is the options of the
 * next one (same signal, same attempt), and the innermost runs fn itself: per call, one closure
 * per inner level.
 */
function nest<T>(
  policies: readonly Policy[],
  hidden: readonly boolean[],
  index: number,
  fn: Work<T>,
  context: ExecuteContext,
): Promise<T> {
  const policy = policies[index] as Policy;
  const work: Work<T> = index === policies.length - 1 ? fn : (inner) => nest(policies, hidden, index + 1, fn, inner);
  return policy.execute(work, hidden[index] === true ? hide(context) : context);
}

/** The usual case, no options: one frozen object for every call. */
const HIDDEN_DEFAULT: HiddenSignalOptions = Object.freeze({ [SIGNAL_HIDDEN]: true as const });

function hide(options: ExecuteOptions | undefined): HiddenSignalOptions {
  if (options === undefined || (options.signal === undefined && options.attempt === undefined)) return HIDDEN_DEFAULT;
  return { signal: options.signal, attempt: options.attempt, [SIGNAL_HIDDEN]: true };
}

/**
 * Nests policies: the first is the outermost. `compose(a, b).execute(fn)` runs `a` around `b`
 * around `fn`, and each inner policy receives the signal of the one around it, so a caller's
 * abort or an outer timeout reaches the innermost work.
 *
 * The usual order is `compose(timeout(total), retry(...), breaker, timeout(perAttempt))`: a
 * budget for the whole call, retries inside it, the breaker counting each attempt, and a limit
 * on each attempt.
 *
 * @example
 * ```ts
 * import { compose } from 'bulwark';
 * import { timeout } from 'bulwark/timeout';
 *
 * const policy = compose(timeout(10_000), timeout(2_000));
 * const body = await policy.execute(async ({ signal }) => (await fetch(url, { signal })).text());
 * ```
 */
export function compose(...policies: Policy[]): ComposedPolicy {
  policies.forEach((policy, index) => {
    if (!isPolicy(policy)) {
      throw new TypeError(
        `compose: argument ${index} must be a policy (an object with an execute method); got ${
          policy === null ? 'null' : typeof policy
        }`,
      );
    }
  });
  return new Composed(Object.freeze([...policies]));
}
