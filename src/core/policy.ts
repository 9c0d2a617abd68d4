/**
 * The contract every primitive shares, and `compose`, which nests them.
 */
import { runAttempt } from './attempt.js';
import { commitAll, currentEpoch, PREPARE_CONFIGURE, prepareConfigure } from './configure.js';
import { describe } from './errors.js';
import { IN_PIPELINE, isPipelinePart, type PipelinePart, withdrawGate } from './gate.js';

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
  /**
   * The configuration epoch the call started in, handed down by `compose` so that every part of
   * a pipeline runs the call under the settings in force when it started. Leave it unset.
   */
  readonly since?: number | undefined;
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
  /**
   * Reconfigures parts by their `name`: `{ attempt: { ms: 800 }, breaker: { openMs: 5000 } }`.
   * Every change is validated before any is applied (a bad value or an unknown name throws and
   * changes nothing); calls that start afterwards run under all of the new settings, calls in
   * flight finish under the old ones.
   */
  configure(settingsByName: Readonly<Record<string, unknown>>): void;
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
  /**
   * Per level: a built-in policy, called through `IN_PIPELINE` so that the innermost timed call's
   * promise can serve the levels around it (core/gate.ts).
   */
  readonly #parts: readonly boolean[];
  /**
   * When every part is built in: the pipeline after the first part, made once, so that a call
   * runs every level without a closure per level (see {@link runWork}).
   */
  readonly #rest: Rest | undefined;
  readonly #allParts: boolean;

  constructor(policies: readonly Policy[]) {
    this.policies = policies;
    this.#parts = policies.map((policy) => isPipelinePart(policy));
    this.#hidden = policies.map(
      (policy, i) => policy.kind === 'retry' && policies.slice(i + 1).some((inner) => inner.kind === 'timeout'),
    );
    this.#allParts = this.#parts.every(Boolean);
    let rest: Rest | undefined;
    for (let i = policies.length - 1; i >= 1 && this.#allParts; i--) {
      rest = { policy: policies[i] as Policy & PipelinePart, hidden: this.#hidden[i] === true, next: rest };
    }
    this.#rest = rest;
  }

  execute<T>(fn: Work<T>, options?: ExecuteOptions): Promise<T> {
    const policies = this.policies;
    const first = policies[0];
    if (first === undefined) return runAttempt(fn, options?.attempt ?? 1, options?.signal);
    // Once anything was reconfigured, every part of this call reads the settings in force now,
    // however long the call runs. Before that there is only one set of settings: no cost.
    const since = options?.since ?? (currentEpoch() === 0 ? undefined : currentEpoch());
    if (this.#allParts && since === undefined) {
      const result = (first as Policy & PipelinePart)[IN_PIPELINE](
        fn,
        this.#hidden[0] === true ? hide(options, undefined) : options,
        this.#rest,
      );
      withdrawGate();
      return result;
    }
    return this.#nested(fn, options, since);
  }

  /**
   * A call through parts of other kinds, or pinned to an epoch: one closure per inner level. (A
   * method of its own: the closures' variables would otherwise cost an allocation on every call.)
   */
  #nested<T>(fn: Work<T>, options: ExecuteOptions | undefined, since: number | undefined): Promise<T> {
    const policies = this.policies;
    const first = policies[0] as Policy;
    const parts = this.#parts;
    const work: Work<T> =
      policies.length === 1 ? fn : (context) => nest(policies, this.#hidden, parts, 1, fn, context, since);
    const opts =
      this.#hidden[0] === true ? hide(options, since) : since === undefined ? options : pinned(options, since);
    const result =
      parts[0] === true
        ? (first as Policy & PipelinePart)[IN_PIPELINE](work, opts, undefined)
        : first.execute(work, opts);
    // The promise leaves compose here: nothing outside may take it over.
    withdrawGate();
    return result;
  }

  configure(settingsByName: Readonly<Record<string, unknown>>): void {
    commitAll([this[PREPARE_CONFIGURE](settingsByName)]);
  }

  [PREPARE_CONFIGURE](settingsByName: unknown): (epoch: number) => void {
    const where = 'compose.configure';
    if (typeof settingsByName !== 'object' || settingsByName === null || Array.isArray(settingsByName)) {
      throw new TypeError(`${where}: expected an object of settings by part name; got ${describe(settingsByName)}`);
    }
    const byName = new Map<string, Policy>();
    const duplicated = new Set<string>();
    for (const part of this.policies) {
      const name = (part as { name?: unknown }).name;
      if (typeof name !== 'string') continue;
      if (byName.has(name)) duplicated.add(name);
      byName.set(name, part);
    }
    const commits: Array<(epoch: number) => void> = [];
    for (const name of Object.keys(settingsByName)) {
      const part = byName.get(name);
      if (part === undefined || duplicated.has(name)) {
        const names = [...byName.keys()].filter((n) => !duplicated.has(n)).map((n) => `"${n}"`);
        throw new TypeError(
          `${where}: ${duplicated.has(name) ? `two parts are named "${name}"; give them distinct names` : `no part is named "${name}"`}; parts that can be named: ${names.join(', ') || 'none'}`,
        );
      }
      commits.push(prepareConfigure(part, (settingsByName as Record<string, unknown>)[name], `${where}("${name}")`));
    }
    // A composed policy inside a registry commits under the registry's epoch, with the others.
    return (epoch) => {
      for (const commit of commits) commit(epoch);
    };
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
  parts: readonly boolean[],
  index: number,
  fn: Work<T>,
  context: ExecuteContext,
  since: number | undefined,
): Promise<T> {
  const policy = policies[index] as Policy;
  const work: Work<T> =
    index === policies.length - 1 ? fn : (inner) => nest(policies, hidden, parts, index + 1, fn, inner, since);
  const options =
    hidden[index] === true ? hide(context, since) : since === undefined ? context : pinned(context, since);
  if (parts[index] === true) return (policy as Policy & PipelinePart)[IN_PIPELINE](work, options, undefined);
  // A policy of another kind may keep or pass on what it got: no gate goes through it.
  const result = policy.execute(work, options);
  withdrawGate();
  return result;
}

/**
 * The rest of a pipeline after one part, when every part is built in: prebuilt by compose.
 *
 * @internal
 */
export interface Rest {
  readonly policy: Policy & PipelinePart;
  /** A retry with a timeout further in (see `SIGNAL_HIDDEN`). */
  readonly hidden: boolean;
  readonly next: Rest | undefined;
}

/**
 * Runs a pipeline part's work: the rest of the pipeline around `fn` (the next part, called with
 * the context this part hands its work), or `fn` itself at the end.
 *
 * @internal
 */
export function runWork<T>(fn: Work<T>, rest: Rest | undefined, context: ExecuteContext): T | PromiseLike<T> {
  if (rest === undefined) return fn(context);
  return rest.policy[IN_PIPELINE](fn, rest.hidden ? hide(context, undefined) : context, rest.next);
}

/** A part's work as one function, for a part that keeps it or calls it later. @internal */
export function workOf<T>(fn: Work<T>, rest: Rest | undefined): Work<T> {
  return rest === undefined ? fn : (context) => runWork(fn, rest, context);
}

/** The options of a part of a call pinned to the settings of epoch `since`. */
function pinned(options: ExecuteOptions | undefined, since: number): ExecuteOptions {
  return { signal: options?.signal, attempt: options?.attempt, since };
}

/** The usual case, no options: one frozen object for every call. */
const HIDDEN_DEFAULT: HiddenSignalOptions = Object.freeze({ [SIGNAL_HIDDEN]: true as const });

function hide(options: ExecuteOptions | undefined, since: number | undefined): HiddenSignalOptions {
  if (
    since === undefined &&
    (options === undefined || (options.signal === undefined && options.attempt === undefined))
  ) {
    return HIDDEN_DEFAULT;
  }
  return { signal: options?.signal, attempt: options?.attempt, since, [SIGNAL_HIDDEN]: true };
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
