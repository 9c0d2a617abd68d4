/**
 * Live reconfiguration, shared by every policy. A policy's settings are one immutable object;
 * `configure` validates a whole new set first and then swaps it in, so a bad value changes
 * nothing. Swaps are stamped with an epoch: a call that started before a swap keeps reading the
 * settings that were in force when it started, in every part of a composed pipeline, so no call
 * ever runs under a mix of old and new settings.
 */
import { describe } from './errors.js';

/** Bumped by every committed configuration; calls remember the epoch they started in. */
let epoch = 0;

/** The epoch a call starting now belongs to. @internal */
export function currentEpoch(): number {
  return epoch;
}

/**
 * Validates first, commits later: the protocol `compose` and `policies()` use so that a change
 * to several policies is all or nothing. `prepare` throws on a bad value and changes nothing;
 * the function it returns applies the change and cannot fail.
 *
 * @internal
 */
export const PREPARE_CONFIGURE: unique symbol = Symbol.for('bulwark.prepareConfigure') as never;

/** A policy whose settings can change at run time. */
export interface Configurable<O> {
  /**
   * Validates `options` merged over the current settings, then applies them to calls that start
   * afterwards. Throws (and changes nothing) when any value is invalid. What the policy has
   * learned (a breaker's state and window, a limiter's permits) survives.
   */
  configure(options: O): void;
}

type Commit = (epoch: number) => void;

interface Preparable {
  [PREPARE_CONFIGURE](options: unknown): Commit;
}

/**
 * Checks `options` for `target` and returns the commit that applies them. A policy of bulwark's
 * validates here; any other object with a `configure` method is applied at commit time.
 *
 * @internal
 */
export function prepareConfigure(target: unknown, options: unknown, where: string): Commit {
  const prepare = (target as Partial<Preparable> | null)?.[PREPARE_CONFIGURE];
  if (typeof prepare === 'function') {
    try {
      return prepare.call(target, options);
    } catch (err) {
      // Say which key or part was refused, in front of the policy's own message.
      if (err instanceof Error && !err.message.startsWith(where)) err.message = `${where}: ${err.message}`;
      throw err;
    }
  }
  const configure = (target as Partial<Configurable<unknown>> | null)?.configure;
  if (typeof configure === 'function') {
    // A policy of the user's own validates when applied: its error still says where.
    return () => {
      try {
        configure.call(target, options);
      } catch (err) {
        if (err instanceof Error && !err.message.startsWith(where)) err.message = `${where}: ${err.message}`;
        throw err;
      }
    };
  }
  throw new TypeError(`${where}: ${describe(target)} cannot be configured (it has no configure method)`);
}

/** Commits prepared changes under one new epoch: calls starting afterwards see all of them. @internal */
export function commitAll(commits: readonly Commit[]): void {
  if (commits.length === 0) return;
  epoch += 1;
  for (const commit of commits) commit(epoch);
}

/** How many superseded settings a policy keeps for calls still running under them. */
const KEPT = 8;

/**
 * A policy's settings over time. `at(since)` answers, with no allocation, the settings in force
 * when a call that started in epoch `since` began; the current ones when `since` is unset.
 *
 * @internal
 */
export class SettingsHistory<S> {
  #current: S;
  #since = 0;
  /** Older settings, newest last, each with the epoch it took effect in. */
  #older: Array<{ readonly since: number; readonly settings: S }> = [];

  constructor(initial: S) {
    this.#current = initial;
  }

  get current(): S {
    return this.#current;
  }

  at(since: number | undefined): S {
    if (since === undefined || since >= this.#since) return this.#current;
    for (let i = this.#older.length - 1; i >= 0; i--) {
      const entry = this.#older[i] as { since: number; settings: S };
      if (since >= entry.since) return entry.settings;
    }
    // Older than anything kept: the oldest we have is the closest to what it started with.
    return this.#older[0]?.settings ?? this.#current;
  }

  set(next: S, atEpoch: number): void {
    this.#older.push({ since: this.#since, settings: this.#current });
    if (this.#older.length > KEPT) this.#older.shift();
    this.#current = next;
    this.#since = atEpoch;
  }
}

/** Runs the prepare/commit protocol for one policy's own `configure`. @internal */
export function configureOne(target: object, options: unknown, where: string): void {
  commitAll([prepareConfigure(target, options, where)]);
}
