/**
 * A registry of policies by key: one breaker per provider, per host, per tenant. Made on first
 * use, bounded in size, dropped when idle, and reconfigured live, all at once or not at all.
 */
import { type Clock, systemClock } from './clock.js';
import { commitAll, PREPARE_CONFIGURE, prepareConfigure } from './configure.js';
import { describe } from './errors.js';
import { Emitter, type EventSource } from './listeners.js';
import {
  checkKnownKeys,
  checkOptionsObject,
  clockOption,
  functionOption,
  intOption,
  msOption,
  nameOption,
} from './options.js';
import type { Policy } from './policy.js';

/** Why a registry dropped a policy. */
export type EvictionReason = 'max-keys' | 'idle' | 'deleted';

/** Options of {@link policies}. */
export interface PolicyRegistryOptions<P extends Policy, S> {
  /** Makes the policy of `key` on its first use, from that key's settings (undefined when it has none). */
  readonly create: (key: string, settings: S | undefined) => P;
  /** Settings by key, handed to `create`; replaced by {@link PolicyRegistry.configure}. */
  readonly settings?: Readonly<Record<string, S>> | undefined;
  /** At most this many live policies; the least recently used is dropped beyond it (default 10000). */
  readonly maxKeys?: number | undefined;
  /** A policy not used for this long is dropped (checked lazily on use; default: never). */
  readonly idleMs?: number | undefined;
  /** Names the registry in errors and metrics (default `'policies'`). */
  readonly name?: string | undefined;
  /** Where time comes from, for `idleMs` (default: the system clock). */
  readonly clock?: Clock | undefined;
}

/** Events of a {@link PolicyRegistry}. */
export interface PolicyRegistryEvents<P extends Policy> {
  /** A policy was made for a key seen for the first time (or again after it was dropped). */
  create: {
    /** The registry's name. */
    readonly registry: string;
    /** The key the policy was made for. */
    readonly key: string;
    /** The policy made. */
    readonly policy: P;
  };
  /** A policy was dropped; metrics stop exporting it. */
  evict: {
    /** The registry's name. */
    readonly registry: string;
    /** The key whose policy was dropped. */
    readonly key: string;
    /** The policy dropped. */
    readonly policy: P;
    /** `'max-keys'`, `'idle'` or `'deleted'`. */
    readonly reason: EvictionReason;
  };
  /** New settings were applied to `keys`, the live policies that have settings in them. */
  configure: {
    /** The registry's name. */
    readonly registry: string;
    /** The live keys reconfigured. */
    readonly keys: readonly string[];
  };
}

/** Counters of a {@link PolicyRegistry}, for dashboards. */
export interface PolicyRegistryStats {
  /** Live policies now. */
  readonly size: number;
  /** The bound on live policies. */
  readonly maxKeys: number;
  /** Policies made since the registry was. */
  readonly created: number;
  /** Policies dropped since the registry was, for any reason. */
  readonly evicted: number;
}

/** Policies by key, made on first use. Made by {@link policies}. */
export interface PolicyRegistry<P extends Policy, S> extends EventSource<PolicyRegistryEvents<P>> {
  /** What it is: `'registry'` (metrics observe it, and every policy it makes). */
  readonly kind: 'registry';
  /** The registry's name. */
  readonly name: string;
  /** Live policies now. */
  readonly size: number;
  /** The policy of `key`: the same object for the same key while it lives, made on first use. */
  get(key: string): P;
  /** The policy of `key` if it is live, without making one or marking it used. */
  peek(key: string): P | undefined;
  /** Drops the policy of `key`; true when there was one. */
  delete(key: string): boolean;
  /**
   * Replaces the settings by key and reconfigures every live policy that has an entry, all or
   * nothing: every change is validated before any is applied, so one bad value changes no
   * policy. Live policies without an entry keep their settings; policies made later use the new ones.
   */
  configure(settingsByKey: Readonly<Record<string, S>>): void;
  /** The live policies, least recently used first. */
  entries(): IterableIterator<[string, P]>;
  /** The same as {@link PolicyRegistry.entries}. */
  [Symbol.iterator](): IterableIterator<[string, P]>;
  /** Counters for dashboards. */
  stats(): PolicyRegistryStats;
}

const KNOWN_OPTIONS = ['create', 'settings', 'maxKeys', 'idleMs', 'name', 'clock'] as const;

interface Entry<P> {
  readonly policy: P;
  lastUsed: number;
}

interface Settings<P extends Policy, S> {
  readonly name: string;
  readonly create: (key: string, settings: S | undefined) => P;
  readonly maxKeys: number;
  readonly idleMs: number | undefined;
  readonly clock: Clock;
}

/** Own entries only: a key named `__proto__` or `constructor` is a key like any other. */
function ownSettings<S>(where: string, value: unknown): Map<string, S> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${where}: settings must be an object of settings by key; got ${describe(value)}`);
  }
  const map = new Map<string, S>();
  for (const key of Object.keys(value)) map.set(key, (value as Record<string, S>)[key] as S);
  return map;
}

function checkKey(where: string, key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`${where}: key must be a string; got ${describe(key)}`);
}

class Registry<P extends Policy, S> implements PolicyRegistry<P, S> {
  readonly kind = 'registry' as const;
  readonly #s: Settings<P, S>;
  readonly #events = new Emitter<PolicyRegistryEvents<P>>();
  /** Insertion order is recency: a use moves the key to the end. */
  readonly #live = new Map<string, Entry<P>>();
  #settings: Map<string, S>;
  #created = 0;
  #evicted = 0;

  constructor(settings: Settings<P, S>, byKey: Map<string, S>) {
    this.#s = settings;
    this.#settings = byKey;
  }

  get name(): string {
    return this.#s.name;
  }

  get size(): number {
    return this.#live.size;
  }

  on<K extends keyof PolicyRegistryEvents<P>>(
    event: K,
    listener: (payload: PolicyRegistryEvents<P>[K]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  get(key: string): P {
    checkKey(`${this.#s.name}.get`, key);
    const now = this.#s.idleMs === undefined ? 0 : this.#s.clock.now();
    const live = this.#live.get(key);
    if (live !== undefined && (this.#s.idleMs === undefined || now - live.lastUsed < this.#s.idleMs)) {
      this.#live.delete(key);
      live.lastUsed = now;
      this.#live.set(key, live);
      this.#dropIdle(now);
      return live.policy;
    }
    if (live !== undefined) this.#drop(key, live, 'idle');
    this.#dropIdle(now);
    const policy = this.#s.create(key, this.#settings.get(key));
    if (typeof (policy as Partial<Policy> | null)?.execute !== 'function') {
      throw new TypeError(`${this.#s.name}: create("${key}") must return a policy; got ${describe(policy)}`);
    }
    this.#live.set(key, { policy, lastUsed: now });
    this.#created += 1;
    if (this.#events.listening('create')) this.#events.emit('create', { registry: this.#s.name, key, policy });
    while (this.#live.size > this.#s.maxKeys) {
      const [oldest, entry] = this.#live.entries().next().value as [string, Entry<P>];
      this.#drop(oldest, entry, 'max-keys');
    }
    return policy;
  }

  peek(key: string): P | undefined {
    return this.#live.get(key)?.policy;
  }

  delete(key: string): boolean {
    const entry = this.#live.get(key);
    if (entry === undefined) return false;
    this.#drop(key, entry, 'deleted');
    return true;
  }

  configure(settingsByKey: Readonly<Record<string, S>>): void {
    commitAll([this[PREPARE_CONFIGURE](settingsByKey)]);
  }

  [PREPARE_CONFIGURE](settingsByKey: unknown): (epoch: number) => void {
    const where = `${this.#s.name}.configure`;
    const next = ownSettings<S>(where, settingsByKey);
    const commits: Array<(epoch: number) => void> = [];
    const keys: string[] = [];
    for (const [key, entry] of this.#live) {
      if (!next.has(key)) continue;
      commits.push(prepareConfigure(entry.policy, next.get(key), `${where}: key "${key}"`));
      keys.push(key);
    }
    return (epoch) => {
      for (const commit of commits) commit(epoch);
      this.#settings = next;
      if (this.#events.listening('configure')) this.#events.emit('configure', { registry: this.#s.name, keys });
    };
  }

  *entries(): IterableIterator<[string, P]> {
    for (const [key, entry] of [...this.#live]) yield [key, entry.policy];
  }

  [Symbol.iterator](): IterableIterator<[string, P]> {
    return this.entries();
  }

  stats(): PolicyRegistryStats {
    return { size: this.#live.size, maxKeys: this.#s.maxKeys, created: this.#created, evicted: this.#evicted };
  }

  /** The least recently used come first: stop at the first one still in use. */
  #dropIdle(now: number): void {
    const { idleMs } = this.#s;
    if (idleMs === undefined) return;
    for (const [key, entry] of this.#live) {
      if (now - entry.lastUsed < idleMs) return;
      this.#drop(key, entry, 'idle');
    }
  }

  #drop(key: string, entry: Entry<P>, reason: EvictionReason): void {
    this.#live.delete(key);
    this.#evicted += 1;
    if (this.#events.listening('evict')) {
      this.#events.emit('evict', { registry: this.#s.name, key, policy: entry.policy, reason });
    }
  }
}

/**
 * A registry of policies by key: `get(key)` returns the same policy for the same key, made on
 * first use by `create(key, settings[key])`. It stays bounded (`maxKeys`, least recently used
 * dropped first; `idleMs`), and `configure(settingsByKey)` reconfigures every live policy at
 * once, all or nothing, keeping what each has learned (a breaker's state, a limiter's permits).
 *
 * @example
 * ```ts
 * import { circuitBreaker, policies } from 'bulwark';
 *
 * const breakers = policies({
 *   create: (host, settings: { openMs: number } | undefined) =>
 *     circuitBreaker({ name: host, openMs: settings?.openMs ?? 30_000 }),
 *   settings: { 'api.openai.com': { openMs: 10_000 } },
 *   maxKeys: 1000,
 * });
 *
 * const host = 'api.openai.com';
 * await breakers.get(host).execute(() => fetch(`https://${host}/v1/models`));
 *
 * // Later, from a config reload: every live breaker takes its new settings, state kept.
 * breakers.configure({ 'api.openai.com': { openMs: 5_000 } });
 * ```
 */
export function policies<P extends Policy, S = unknown>(options: PolicyRegistryOptions<P, S>): PolicyRegistry<P, S> {
  const where = 'policies';
  checkOptionsObject(where, options);
  if (options === undefined) throw new TypeError(`${where}: options { create } are required; got undefined`);
  checkKnownKeys(where, options, KNOWN_OPTIONS);
  const create = functionOption<PolicyRegistryOptions<P, S>['create']>(
    where,
    'create',
    options.create,
    '(key, settings) => policy',
  );
  if (create === undefined) {
    throw new TypeError(`${where}: option "create" must be a function (key, settings) => policy; got undefined`);
  }
  const name = nameOption(where, options.name, 'policies');
  const byKey = options.settings === undefined ? new Map<string, S>() : ownSettings<S>(where, options.settings);
  return new Registry<P, S>(
    {
      name,
      create,
      maxKeys: intOption(where, 'maxKeys', options.maxKeys, 10_000, 1),
      idleMs: options.idleMs === undefined ? undefined : msOption(where, 'idleMs', options.idleMs),
      clock: options.clock === undefined ? systemClock : clockOption(where, options.clock),
    },
    byKey,
  );
}
