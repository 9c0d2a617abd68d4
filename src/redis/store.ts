import type { BreakerReport, BreakerRule, BreakerStateStore, BreakerView, LeaseAnswer } from '../breaker/shared.js';
import { type Clock, systemClock } from '../core/clock.js';
import { describe } from '../core/errors.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import { checkKnownKeys, checkOptionsObject, clockOption, intOption, msOption } from '../core/options.js';
import type { RateDecision, RateLimitStore, RateRule } from '../rate-limit/store.js';
import type { BudgetCounts, RetryBudgetStore } from '../retry/shared-budget.js';
import { clockTimer, Deadline, Lane } from '../timeout/deadlines.js';
import { type RedisClientLike, type Script, type ScriptRunner, scriptRunner } from './client.js';
import { LocalRate } from './local-rate.js';
import { BREAKER_LEASE, BREAKER_SYNC, BUDGET_SYNC, GCRA } from './scripts.js';

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** The application's own client: ioredis or iovalkey (`new Redis()`), or node-redis v5+ (`createClient()`, connected). */
  readonly client: RedisClientLike;
  /** Put before every key bulwark writes (default `'bulwark:'`). */
  readonly prefix?: string | undefined;
  /** The longest a call waits for Redis, in ms (default 25); then it decides alone. */
  readonly commandTimeoutMs?: number | undefined;
  /** Replicas sharing the limits: while Redis is away each takes `limit / replicas` (default 1). */
  readonly replicas?: number | undefined;
  /** While Redis is away, one call tries it again this often, in ms (default 1000); the others do not wait on it. */
  readonly retryMs?: number | undefined;
  /** Where time comes from for deadlines (default: the system clock). */
  readonly clock?: Clock | undefined;
}

/** Which operation met a problem. */
export type RedisOperation = 'rate-limit' | 'breaker-sync' | 'breaker-lease' | 'budget-sync';

/** Events of a {@link RedisStore}. */
export interface RedisStoreEvents {
  /** Redis did not answer in time or failed: every limit now decides alone (local state) until it is back. */
  fallback: {
    /** What was being done. */
    readonly operation: RedisOperation;
    /** `'timeout'`: no answer within `commandTimeoutMs`; `'error'`: Redis or the client failed. */
    readonly reason: 'timeout' | 'error';
    /** The error, or a TimeoutError-like Error for a timeout. */
    readonly error: unknown;
  };
  /** Redis answered again: the limits are shared again. */
  recovered: {
    /** How long the store decided alone, in ms. */
    readonly downMs: number;
  };
  /** A key held something bulwark did not write (wrong type, not a number): it was reset. */
  badData: {
    /** What was being done. */
    readonly operation: RedisOperation;
    /** What was found, and that it was reset. */
    readonly detail: string;
  };
  /** Redis had lost a script (SCRIPT FLUSH, a restart, a failover): it was loaded again. */
  scriptReloaded: {
    /** The script's name. */
    readonly script: string;
  };
}

/** What {@link RedisStore.stats} reports. */
export interface RedisStoreStats {
  /** `'shared'` while Redis answers; `'local'` while each limit decides alone. */
  readonly mode: 'shared' | 'local';
  /** Scripts sent to Redis. */
  readonly commands: number;
  /** Of those, how many had no answer within `commandTimeoutMs`. */
  readonly timeouts: number;
  /** Of those, how many failed. */
  readonly errors: number;
  /** Switches from shared to local. */
  readonly fallbacks: number;
  /** Keys found holding something bulwark did not write, and reset. */
  readonly badData: number;
  /** Scripts loaded again after Redis lost them. */
  readonly scriptReloads: number;
}

/**
 * A store on Redis that replicas share: a rate limit's state (for `rateLimit({ store })`), a
 * breaker's (for `circuitBreaker({ shared: { store } })`) and a retry budget's (for
 * `retryBudget({ store })`). Made by {@link redisStore}.
 */
export interface RedisStore extends RateLimitStore, BreakerStateStore, RetryBudgetStore, EventSource<RedisStoreEvents> {
  /** What this is, for metrics. */
  readonly kind: 'redis-store';
  /** The key prefix. */
  readonly prefix: string;
  /** `'shared'` while Redis answers; `'local'` before its first answer and while each limit decides alone. */
  readonly mode: 'shared' | 'local';
  /** Counters of commands, timeouts, errors and fallbacks. */
  stats(): RedisStoreStats;
}

interface Settings {
  readonly prefix: string;
  readonly commandTimeoutMs: number;
  readonly replicas: number;
  readonly retryMs: number;
  readonly clock: Clock;
}

const NOTHING: Promise<undefined> = Promise.resolve(undefined);
const STATES = ['closed', 'open', 'half-open'] as const;
const ANSWERS = ['granted', 'busy', 'open', 'closed', 'isolated'] as const;

function isReply(reply: unknown, length: number): reply is unknown[] {
  if (!Array.isArray(reply) || reply.length !== length) return false;
  for (let i = 0; i < length - 1; i++) if (typeof reply[i] !== 'number') return false;
  return typeof reply[length - 1] === 'string';
}

/** The GCRA script's usual reply: three numbers (a fourth element, a string, says it reset bad data). */
function isGcraReply(reply: unknown): reply is number[] {
  return (
    Array.isArray(reply) &&
    reply.length === 3 &&
    typeof reply[0] === 'number' &&
    typeof reply[1] === 'number' &&
    typeof reply[2] === 'number'
  );
}

/** One command waiting for Redis, queued by its deadline in the store's lane. */
class Command extends Deadline {
  settled = false;
  resolve: (reply: unknown) => void = ignore;
  readonly #onTimeout: (command: Command) => void;
  readonly script: string;
  readonly operation: RedisOperation;

  constructor(onTimeout: (command: Command) => void, script: string, operation: RedisOperation) {
    super();
    this.#onTimeout = onTimeout;
    this.script = script;
    this.operation = operation;
  }

  expire(): void {
    if (this.settled) return;
    this.settled = true;
    this.#onTimeout(this);
  }
}

function ignore(): void {}

class Store implements RedisStore {
  readonly kind = 'redis-store' as const;
  readonly #s: Settings;
  readonly #runner: ScriptRunner;
  readonly #events = new Emitter<RedisStoreEvents>();
  readonly #local: LocalRate;
  readonly #client: unknown;
  /** The deadlines of commands in flight: one timer per clock for all of them, as timeouts do. */
  readonly #lane: Lane;
  // Local until Redis first answers: a replica starting while its client connects decides alone.
  #mode: 'shared' | 'local' = 'local';
  #answeredOnce = false;
  /** Set by a failure, cleared by an answer: while set, one call in `retryMs` tries Redis. */
  #gated = false;
  #downSince = 0;
  #retryAt = 0;
  #trying = false;
  #commands = 0;
  #timeouts = 0;
  #errors = 0;
  #fallbacks = 0;
  #badData = 0;
  #scriptReloads = 0;

  constructor(settings: Settings, client: unknown) {
    this.#s = settings;
    this.#client = client;
    this.#local = new LocalRate(settings.replicas);
    this.#lane = new Lane(settings.commandTimeoutMs, clockTimer(settings.clock));
    this.#runner = scriptRunner('redisStore', client, (script) => {
      this.#scriptReloads++;
      this.#events.emit('scriptReloaded', { script: script.name });
    });
  }

  get prefix(): string {
    return this.#s.prefix;
  }

  get mode(): 'shared' | 'local' {
    return this.#mode;
  }

  on<K extends keyof RedisStoreEvents>(event: K, listener: (payload: RedisStoreEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  stats(): RedisStoreStats {
    return {
      mode: this.#mode,
      commands: this.#commands,
      timeouts: this.#timeouts,
      errors: this.#errors,
      fallbacks: this.#fallbacks,
      badData: this.#badData,
      scriptReloads: this.#scriptReloads,
    };
  }

  take(key: string, rule: RateRule, now: number, cost = 1): Promise<RateDecision> {
    const args = [String(rule.intervalMs), String(rule.burst), String(rule.maxWaitMs), String(cost)];
    return this.#exec(GCRA, [`${this.#s.prefix}rl:${key}`], args, 'rate-limit').then((reply) => {
      if (reply !== undefined && (isGcraReply(reply) || isReply(reply, 4))) {
        if (reply.length === 4) this.#bad('rate-limit', reply[3]);
        return { granted: reply[0] === 1, waitMs: reply[1] as number, remaining: reply[2] as number };
      }
      if (reply !== undefined) this.#malformed('rate-limit', reply);
      return this.#local.take(key, rule, now, cost);
    });
  }

  syncBreaker(name: string, report: BreakerReport, rule: BreakerRule): Promise<BreakerView | undefined> {
    const args = [
      report.replica,
      String(report.seenEpoch),
      report.voting ? '1' : '0',
      String(report.calls),
      String(report.failures),
      report.event,
      String(rule.quorum),
      String(Math.ceil(rule.openMs)),
      String(Math.ceil(rule.reportTtlMs)),
      String(report.holds),
      report.releaseLeases ? '1' : '0',
    ];
    return this.#exec(BREAKER_SYNC, this.#breakerKeys(name, rule.probes), args, 'breaker-sync').then((reply) => {
      if (reply === undefined) return undefined;
      if (!isReply(reply, 10)) return this.#malformed('breaker-sync', reply);
      this.#bad('breaker-sync', reply[9]);
      const n = reply as number[];
      return {
        state: STATES[n[0] as number] ?? 'closed',
        openRemainingMs: n[1] as number,
        epoch: n[2] as number,
        votes: n[3] as number,
        voteCounted: n[4] === 1,
        isolatedByOthers: n[5] === 1,
        replicas: n[6] as number,
        calls: n[7] as number,
        failures: n[8] as number,
      };
    });
  }

  leaseProbe(name: string, replica: string, seenEpoch: number, rule: BreakerRule): Promise<LeaseAnswer | undefined> {
    const args = [replica, String(seenEpoch), String(Math.ceil(rule.leaseMs))];
    return this.#exec(BREAKER_LEASE, this.#breakerKeys(name, rule.probes), args, 'breaker-lease').then((reply) => {
      if (reply === undefined) return undefined;
      if (!isReply(reply, 4)) return this.#malformed('breaker-lease', reply);
      this.#bad('breaker-lease', reply[3]);
      const n = reply as number[];
      return { answer: ANSWERS[n[0] as number] ?? 'busy', openRemainingMs: n[1] as number, epoch: n[2] as number };
    });
  }

  syncBudget(
    key: string,
    report: BudgetCounts,
    rule: { readonly windowMs: number; readonly bucketMs: number },
  ): Promise<BudgetCounts | undefined> {
    const args = [
      String(report.attempts),
      String(report.retries),
      String(Math.ceil(rule.windowMs)),
      String(Math.ceil(rule.bucketMs)),
    ];
    return this.#exec(BUDGET_SYNC, [`${this.#s.prefix}budget:${key}`], args, 'budget-sync').then((reply) => {
      if (reply === undefined) return undefined;
      if (!isReply(reply, 3)) return this.#malformed('budget-sync', reply);
      this.#bad('budget-sync', reply[2]);
      return { attempts: reply[0] as number, retries: reply[1] as number };
    });
  }

  /** The keys of one breaker, with one hash tag so Redis Cluster keeps them in one slot. */
  #breakerKeys(name: string, probes: number): string[] {
    const base = `${this.#s.prefix}breaker:{${name}}`;
    const keys = [base, `${base}:isolated`];
    for (let i = 0; i < probes; i++) keys.push(`${base}:probe:${i}`);
    return keys;
  }

  /**
   * Runs a script with a deadline. Resolves the reply, or undefined when the caller must decide
   * alone: Redis failed, did not answer in time, or is known to be away (then only one call in
   * `retryMs` tries it). Never rejects; a late reply is dropped.
   */
  #exec(script: Script, keys: string[], args: string[], operation: RedisOperation): Promise<unknown> {
    const { clock, retryMs } = this.#s;
    if (!this.#clientReady()) {
      // Connecting or reconnecting: nothing to wait for, and the client would only queue it.
      if (this.#answeredOnce) this.#failed(operation, 'error', new Error('the Redis client is not connected'));
      return NOTHING;
    }
    if (this.#gated) {
      const now = clock.now();
      if (this.#trying || now < this.#retryAt) return NOTHING;
      this.#trying = true;
      this.#retryAt = now + retryMs;
    }
    this.#commands++;
    const command = new Command(this.#timedOut, script.name, operation);
    return new Promise((resolve) => {
      command.resolve = resolve;
      // Its deadline waits in the store's lane: no timer of its own (decision 0015).
      this.#lane.add(command);
      let reply: Promise<unknown>;
      try {
        reply = this.#runner.run(script, keys, args);
      } catch (error) {
        reply = Promise.reject(error);
      }
      reply.then(
        (value) => {
          if (command.settled) return;
          command.settled = true;
          this.#lane.remove(command);
          this.#answered();
          resolve(value);
        },
        (error: unknown) => {
          if (command.settled) return;
          command.settled = true;
          this.#lane.remove(command);
          this.#errors++;
          this.#failed(operation, 'error', error);
          resolve(undefined);
        },
      );
    });
  }

  /** A command's deadline passed before Redis answered: the caller decides alone; a late reply is dropped. */
  readonly #timedOut = (command: Command): void => {
    this.#timeouts++;
    this.#failed(
      command.operation,
      'timeout',
      new Error(`Redis did not answer ${command.script} within ${this.#s.commandTimeoutMs} ms`),
    );
    command.resolve(undefined);
  };

  #answered(): void {
    this.#trying = false;
    if (this.#mode === 'shared') return;
    const wasDown = this.#gated;
    this.#mode = 'shared';
    this.#gated = false;
    this.#answeredOnce = true;
    if (wasDown) this.#events.emit('recovered', { downMs: this.#s.clock.now() - this.#downSince });
  }

  /**
   * False while the client says it is not connected: ioredis/iovalkey `status` other than
   * 'ready' (or 'wait', a lazy client that connects on its first command), node-redis `isReady`.
   */
  #clientReady(): boolean {
    const c = this.#client as { status?: unknown; isReady?: unknown };
    if (typeof c.status === 'string') return c.status === 'ready' || c.status === 'wait';
    if (typeof c.isReady === 'boolean') return c.isReady;
    return true;
  }

  #failed(operation: RedisOperation, reason: 'timeout' | 'error', error: unknown): void {
    this.#trying = false;
    const now = this.#s.clock.now();
    this.#retryAt = now + this.#s.retryMs;
    if (this.#gated) return;
    this.#gated = true;
    this.#mode = 'local';
    this.#downSince = now;
    this.#fallbacks++;
    this.#events.emit('fallback', { operation, reason, error });
  }

  #bad(operation: RedisOperation, detail: unknown): void {
    if (typeof detail !== 'string' || detail === '') return;
    this.#badData++;
    this.#events.emit('badData', { operation, detail });
  }

  #malformed(operation: RedisOperation, reply: unknown): undefined {
    this.#badData++;
    this.#events.emit('badData', { operation, detail: `unexpected reply ${describe(reply)}` });
    return undefined;
  }
}

const KNOWN_OPTIONS = ['client', 'prefix', 'commandTimeoutMs', 'replicas', 'retryMs', 'clock'] as const;

/**
 * A store on Redis (or Valkey) that lets replicas share rate limits, circuit breakers and retry
 * budgets, through the application's own client: ioredis, iovalkey or node-redis v5+, told apart
 * by shape (none of them is imported by bulwark). Each operation is one Lua script, one round
 * trip, timed by Redis `TIME`.
 *
 * Redis is a dependency too: every command has a deadline (`commandTimeoutMs`), and when Redis
 * is slow, down or restarting, every limit decides alone (a rate limit takes `limit / replicas`),
 * no call fails because of Redis, and the switch is a `fallback` event. One call in `retryMs`
 * tries Redis again; when it answers, a `recovered` event, and the limits are shared again.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisStore } from 'bulwark/redis';
 *
 * const store = redisStore({ client: new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'), replicas: 3 });
 * store.on('fallback', ({ reason }) => console.warn(`redis ${reason}: limits are local until it is back`));
 * store.on('recovered', ({ downMs }) => console.info(`redis back after ${downMs} ms`));
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  const where = 'redisStore';
  checkOptionsObject(where, options);
  if (options === undefined) throw new TypeError(`${where}: options { client } are required`);
  checkKnownKeys(where, options, KNOWN_OPTIONS);
  const prefix = options.prefix ?? 'bulwark:';
  if (typeof prefix !== 'string' || prefix.length > 128 || /[\p{Cc}\s]/u.test(prefix)) {
    throw new TypeError(
      `${where}: option "prefix" must be a string of up to 128 characters without spaces or control characters; got ${describe(options.prefix)}`,
    );
  }
  const settings: Settings = {
    prefix,
    commandTimeoutMs: msOption(where, 'commandTimeoutMs', options.commandTimeoutMs ?? 25),
    replicas: intOption(where, 'replicas', options.replicas, 1, 1, 100_000),
    retryMs: msOption(where, 'retryMs', options.retryMs ?? 1000),
    clock: options.clock === undefined ? systemClock : clockOption(where, options.clock),
  };
  return new Store(settings, options.client);
}
