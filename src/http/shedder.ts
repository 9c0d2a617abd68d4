/**
 * Load shedding: while the process is overloaded, new requests are refused at once with 503 and
 * Retry-After, so the ones it admits still finish in time and health probes still answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginCallback } from 'fastify';
import type { Context, Next } from 'hono';
import type { Clock } from '../core/clock.js';
import { describe } from '../core/errors.js';
import { Emitter, type EventSource } from '../core/listeners.js';
import { checkKnownKeys, checkOptionsObject, clockOption, intOption, msOption } from '../core/options.js';
import { Hysteresis, type LoadMeter, type LoadSample, processMeter } from './load.js';
import type { FastifyPlugin, HonoMiddleware, HttpMiddleware, NodeListener } from './middleware.js';
import { PROBLEM_JSON_TYPE, problemDocument, problemSettings } from './problem.js';
import {
  nodeBindings,
  type Prepared,
  pathOf,
  type ReplyLike,
  sendRaw,
  sendReply,
  toResponse,
  unencapsulated,
} from './respond.js';

export type { LoadSample } from './load.js';

/** Options of {@link loadShedder}. */
export interface LoadShedderOptions {
  /** Mean event-loop delay over a sample above which the process is overloaded, in ms (default 100). */
  readonly maxEventLoopDelayMs?: number | undefined;
  /**
   * Event-loop utilization (0 to 1] above which the process is overloaded (default: not checked).
   * Set it (0.9 is a good start) when requests are CPU-bound: each blocks the loop briefly, so the
   * delay stays low while requests queue in the sockets and the loop never rests. Off by default
   * because a process starved of CPU by its neighbours, or busy starting up, also reads near 1.
   */
  readonly maxEventLoopUtilization?: number | undefined;
  /** V8 heap in use above which the process is overloaded, in bytes (default: not checked). */
  readonly maxHeapUsedBytes?: number | undefined;
  /**
   * The longest a request may wait behind the requests read before it in the same turn of the
   * event loop, in ms (default: not checked). A request that waited longer is refused at once,
   * whatever the samples say: the process is falling behind right now, and admitting it only
   * makes it and every request behind it later. Set it for CPU-bound routes (one to two times
   * a request's CPU time is a good start); the first request of each turn is always admitted.
   */
  readonly maxWaitMs?: number | undefined;
  /** The `Retry-After` sent with each refusal, in whole seconds (default 1). */
  readonly retryAfterS?: number | undefined;
  /**
   * Requests never refused: paths (a path matches itself and everything under it) or a test
   * (default `['/health', '/metrics']`).
   */
  readonly exempt?: readonly string[] | ((req: IncomingMessage) => boolean) | undefined;
  /** How often the load is sampled, in ms (default 100). */
  readonly sampleIntervalMs?: number | undefined;
  /** Samples in a row over a limit before shedding starts (default 2). */
  readonly overloadAfter?: number | undefined;
  /** Samples in a row under 80% of every limit before shedding stops (default 3). */
  readonly recoverAfter?: number | undefined;
  /** Where problem types live (see {@link ProblemOptions.typeBase}); default `about:blank`. */
  readonly typeBase?: string | undefined;
  /** Where the sampling timer comes from (default: the system clock, unref'ed). */
  readonly clock?: Clock | undefined;
}

/** Events of a {@link LoadShedder}. */
export interface LoadShedderEvents {
  /** The process became overloaded: new requests are refused from now on. */
  overload: { readonly sample: LoadSample };
  /** The process recovered: requests are admitted again. */
  recover: { readonly sample: LoadSample; readonly shed: number };
}

/** What {@link LoadShedder.stats} returns. */
export interface LoadShedderStats {
  /** True while new requests are refused. */
  readonly overloaded: boolean;
  /** The last sample taken (all zero before the first). */
  readonly sample: LoadSample;
  /** Requests refused since the shedder was made. */
  readonly shed: number;
}

/** A load shedder in each framework's shape. Made by {@link loadShedder}. */
export interface LoadShedder extends HttpMiddleware, EventSource<LoadShedderEvents> {
  /** True while new requests are refused. */
  readonly overloaded: boolean;
  /** The state, the last sample and how many requests were refused. */
  stats(): LoadShedderStats;
  /** Stops sampling (the shedder then admits everything); calling it again does nothing. */
  close(): void;
}

const KNOWN_OPTIONS = [
  'maxEventLoopDelayMs',
  'maxEventLoopUtilization',
  'maxHeapUsedBytes',
  'maxWaitMs',
  'retryAfterS',
  'exempt',
  'sampleIntervalMs',
  'overloadAfter',
  'recoverAfter',
  'typeBase',
  'clock',
] as const;
const RECOVER_RATIO = 0.8;
const ZERO: LoadSample = Object.freeze({ eventLoopDelayMs: 0, eventLoopUtilization: 0, heapUsedBytes: 0 });

/** Checked options. @internal */
export interface ShedderSettings {
  readonly limits: { eventLoopDelayMs: number; eventLoopUtilization: number; heapUsedBytes: number };
  readonly exempt: (req: IncomingMessage) => boolean;
  readonly intervalMs: number;
  /** Infinity when not checked. */
  readonly maxWaitMs: number;
  readonly overloadAfter: number;
  readonly recoverAfter: number;
  readonly clock: Clock;
  readonly answer: Prepared;
}

function exemptOption(where: string, value: unknown): (req: IncomingMessage) => boolean {
  if (typeof value === 'function') return value as (req: IncomingMessage) => boolean;
  const paths = value ?? ['/health', '/metrics'];
  if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || !p.startsWith('/'))) {
    throw new TypeError(
      `${where}: option "exempt" must be an array of paths starting with "/" or a function (req) => boolean; got ${describe(value)}`,
    );
  }
  const exact = new Set(paths.map((p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p)));
  const prefixes = [...exact].map((p) => (p === '/' ? '/' : `${p}/`));
  return (req) => {
    const path = pathOf(req);
    return exact.has(path) || prefixes.some((p) => path.startsWith(p));
  };
}

/** @internal */
export function shedderSettings(options: LoadShedderOptions | undefined): ShedderSettings {
  const where = 'loadShedder';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, KNOWN_OPTIONS);
  const o = options ?? {};
  const delay =
    o.maxEventLoopDelayMs === undefined ? 100 : msOption(where, 'maxEventLoopDelayMs', o.maxEventLoopDelayMs);
  const elu = o.maxEventLoopUtilization;
  if (elu !== undefined && (typeof elu !== 'number' || !(elu > 0 && elu <= 1))) {
    throw new RangeError(
      `${where}: option "maxEventLoopUtilization" must be a number above 0 and at most 1; got ${describe(elu)}`,
    );
  }
  const heap = o.maxHeapUsedBytes;
  if (heap !== undefined && (typeof heap !== 'number' || !Number.isInteger(heap) || heap <= 0)) {
    throw new RangeError(
      `${where}: option "maxHeapUsedBytes" must be a whole number of bytes above 0; got ${describe(heap)}`,
    );
  }
  const retryAfterS = intOption(where, 'retryAfterS', o.retryAfterS, 1, 0, 86_400);
  const doc = problemDocument(
    problemSettings(where, { typeBase: o.typeBase }),
    { status: 503, slug: 'overloaded', title: 'Server overloaded', code: 'ERR_OVERLOADED' },
    503,
    'the server is overloaded; retry later',
  );
  return {
    limits: {
      eventLoopDelayMs: delay,
      eventLoopUtilization: elu ?? Number.POSITIVE_INFINITY,
      heapUsedBytes: heap ?? Number.POSITIVE_INFINITY,
    },
    exempt: exemptOption(where, o.exempt),
    intervalMs: o.sampleIntervalMs === undefined ? 100 : msOption(where, 'sampleIntervalMs', o.sampleIntervalMs),
    maxWaitMs: o.maxWaitMs === undefined ? Number.POSITIVE_INFINITY : msOption(where, 'maxWaitMs', o.maxWaitMs),
    overloadAfter: intOption(where, 'overloadAfter', o.overloadAfter, 2, 1, 1000),
    recoverAfter: intOption(where, 'recoverAfter', o.recoverAfter, 3, 1, 1000),
    clock: clockOption(where, o.clock),
    answer: {
      status: 503,
      headers: { 'content-type': PROBLEM_JSON_TYPE, 'retry-after': String(retryAfterS), 'cache-control': 'no-store' },
      body: Buffer.from(JSON.stringify(doc)),
    },
  };
}

/** @internal */
export class Shedder implements LoadShedder {
  readonly #settings: ShedderSettings;
  readonly #meter: LoadMeter;
  readonly #state: Hysteresis;
  readonly #events = new Emitter<LoadShedderEvents>();
  #sample: LoadSample = ZERO;
  #overloaded = false;
  #strained = false;
  #shed = 0;
  #timer: unknown;
  /** When the sampler is due next, on the clock. */
  #due = 0;
  #closed = false;
  /** When the first request of this turn of the loop was read (maxWaitMs only). */
  #turnStart = 0;
  /** A 0 ms timer: it fires once the loop has finished the turn, so the next request starts a new one. */
  #turnTimer: unknown;
  readonly #endTurn = (): void => {
    this.#turnTimer = undefined;
  };
  readonly express: LoadShedder['express'];
  readonly fastify: FastifyPlugin;
  readonly hono: HonoMiddleware;

  constructor(settings: ShedderSettings, meter: LoadMeter) {
    this.#settings = settings;
    this.#meter = meter;
    this.#state = new Hysteresis(settings.limits, settings.overloadAfter, settings.recoverAfter, RECOVER_RATIO);
    this.#schedule();
    this.express = (req, res, next) => {
      if (this.#refuses(req)) sendRaw(res, settings.answer);
      else next();
    };
    this.fastify = unencapsulated('bulwark-load-shedder', ((instance, _opts, done) => {
      instance.addHook('onRequest', (request, reply, next) => {
        // Answering in an onRequest hook without calling next ends fastify's chain there.
        if (this.#refuses(request.raw)) sendReply(reply as unknown as ReplyLike, settings.answer);
        else next();
      });
      done();
    }) as FastifyPluginCallback);
    this.hono = async (c: Context, next: Next) => {
      if (this.#refuses(nodeBindings('loadShedder', c).incoming)) {
        return toResponse(settings.answer);
      }
      await next();
      return undefined;
    };
  }

  get overloaded(): boolean {
    return this.#overloaded;
  }

  on<K extends keyof LoadShedderEvents>(event: K, listener: (payload: LoadShedderEvents[K]) => void) {
    return this.#events.on(event, listener);
  }

  stats(): LoadShedderStats {
    return { overloaded: this.#overloaded, sample: this.#sample, shed: this.#shed };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#settings.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#settings.clock.clearTimeout(this.#turnTimer);
    this.#turnTimer = undefined;
    this.#meter.close();
    this.#overloaded = false;
    this.#strained = false;
  }

  node(listener: NodeListener): (req: IncomingMessage, res: ServerResponse) => void {
    if (typeof listener !== 'function') {
      throw new TypeError(
        `loadShedder.node: expected a request listener (req, res) => void; got ${describe(listener)}`,
      );
    }
    return (req, res) => {
      if (this.#refuses(req)) sendRaw(res, this.#settings.answer);
      else listener(req, res);
    };
  }

  #refuses(req: IncomingMessage): boolean {
    if (!this.#overloaded && !this.#waitedTooLong() && !this.#lateUnderStrain()) return false;
    if (this.#settings.exempt(req)) return false;
    this.#shed++;
    return true;
  }

  /**
   * True when this request waited more than `maxWaitMs` behind the ones read before it in this
   * turn of the loop. Every request read in one turn was readable when the turn began, so the
   * time since the turn's first request is a floor under how long this one has waited (the time
   * it spent in the socket before that is not seen). A 0 ms timer marks the turn's end.
   */
  #waitedTooLong(): boolean {
    const max = this.#settings.maxWaitMs;
    if (max === Number.POSITIVE_INFINITY || this.#closed) return false;
    const { clock } = this.#settings;
    const now = clock.now();
    if (this.#turnTimer === undefined) {
      this.#turnStart = now;
      this.#turnTimer = clock.setTimeout(this.#endTurn, 0);
      return false;
    }
    return now - this.#turnStart > max;
  }

  /**
   * Between samples: when the last sample was over a limit and the sampler is now late by more
   * than the delay limit, this request is being read in a long turn of a loop that is falling
   * behind, and admitting it only lengthens the turn. A calm process is never refused for one
   * late timer (a GC pause, a descheduled CPU).
   */
  #lateUnderStrain(): boolean {
    return this.#strained && this.#settings.clock.now() - this.#due > this.#settings.limits.eventLoopDelayMs;
  }

  #schedule(): void {
    const { clock, intervalMs } = this.#settings;
    this.#due = clock.now() + intervalMs;
    this.#timer = clock.setTimeout(() => this.#tick(), intervalMs);
  }

  #tick(): void {
    if (this.#closed) return;
    const sample = this.#meter.read();
    this.#sample = sample;
    const changed = this.#state.observe(sample);
    this.#strained = this.#state.strained;
    if (changed) {
      this.#overloaded = this.#state.overloaded;
      if (this.#overloaded) this.#events.emit('overload', { sample });
      else this.#events.emit('recover', { sample, shed: this.#shed });
    }
    this.#schedule();
  }
}

/**
 * Sheds load: a background sampler (an unref'ed timer every `sampleIntervalMs`, never work per
 * request) watches the event loop's delay, and optionally its utilization and the heap. After
 * `overloadAfter` samples in a row over a limit, new requests are answered at once with 503, a
 * `Retry-After` and an RFC 9457 body, except `exempt` ones (health and metrics by default); after
 * `recoverAfter` samples in a row under 80% of every limit, requests are admitted again. Between
 * samples, once the last sample was over a limit, a request read while the sampler is late by more
 * than `maxEventLoopDelayMs` (the loop is blocked right now) is refused too: one clock read per
 * request under strain, so a flood is met within a turn of the loop instead of after two samples.
 * With `maxWaitMs`, a request read more than `maxWaitMs` after the first request of its turn of the
 * loop is refused at once, whatever the samples say (set it for CPU-bound routes).
 * Requests already admitted are never touched.
 * `close()` stops the sampler.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { loadShedder } from 'bulwark/http';
 *
 * const shedder = loadShedder({ maxEventLoopDelayMs: 50, maxEventLoopUtilization: 0.9, retryAfterS: 2, exempt: ['/health'] });
 * shedder.on('overload', ({ sample }) => console.warn('shedding load', sample));
 * const server = createServer(shedder.node((_req, res) => void res.end('ok')));
 * server.on('close', () => shedder.close());
 * ```
 */
export function loadShedder(options?: LoadShedderOptions): LoadShedder {
  return new Shedder(shedderSettings(options), processMeter());
}
