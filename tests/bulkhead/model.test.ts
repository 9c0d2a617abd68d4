/**
 * Model-based test: random sequences of calls, finishes, aborts and clock moves run against the
 * bulkhead and against a small reference model of it (a running set and a FIFO queue with
 * deadlines). After every step they must agree on which calls run, which wait, in what order they
 * started, and how each call ended; and no more than `limit` calls ever run at once.
 */
import { BulkheadRejectedError } from 'bulwark';
import { type AdaptiveLimit, type Bulkhead, bulkhead } from 'bulwark/bulkhead';
import { FakeClock } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

interface Config {
  /** Fixed, or a limit the test moves (commands SetLimit) through the adaptive-limit shape. */
  readonly movable: boolean;
  readonly limit: number;
  readonly queue: number;
  readonly queueTimeoutMs: number | undefined;
}

type Outcome = 'ok' | 'failed' | 'full' | 'queue-timeout' | 'aborted';

class Model {
  limit: number;
  now = 0;
  next = 0;
  readonly running: number[] = [];
  readonly queue: Array<{ id: number; deadline: number }> = [];
  readonly started: number[] = [];
  readonly outcomes = new Map<number, Outcome>();
  /** Running calls whose caller gave up: settled already, their place held until the work ends. */
  readonly abandoned = new Set<number>();
  constructor(readonly config: Config) {
    this.limit = config.limit;
  }

  call(): number {
    const id = this.next++;
    if (this.running.length < this.limit && this.queue.length === 0) this.start(id);
    else if (this.queue.length < this.config.queue) {
      this.queue.push({ id, deadline: this.now + (this.config.queueTimeoutMs ?? Number.POSITIVE_INFINITY) });
    } else this.outcomes.set(id, 'full');
    return id;
  }

  start(id: number): void {
    this.running.push(id);
    this.started.push(id);
  }

  finish(id: number, ok: boolean): void {
    this.running.splice(this.running.indexOf(id), 1);
    if (!this.abandoned.delete(id)) this.outcomes.set(id, ok ? 'ok' : 'failed');
    while (this.running.length < this.limit && this.queue.length > 0) {
      this.start((this.queue.shift() as { id: number }).id);
    }
  }

  abort(id: number): void {
    const index = this.queue.findIndex((w) => w.id === id);
    if (index !== -1) {
      this.queue.splice(index, 1);
      this.outcomes.set(id, 'aborted');
    } else if (this.running.includes(id) && !this.abandoned.has(id)) {
      // The call settles with the caller's reason at once; the work keeps its place until it ends.
      this.abandoned.add(id);
      this.outcomes.set(id, 'aborted');
    }
  }

  advance(ms: number): void {
    this.now += ms;
    while (this.queue.length > 0 && (this.queue[0]?.deadline ?? 0) <= this.now) {
      this.outcomes.set((this.queue.shift() as { id: number }).id, 'queue-timeout');
    }
  }
}

interface Call {
  readonly controller: AbortController;
  settle?: ((ok: boolean) => void) | undefined;
  outcome?: Outcome;
}

/** A limit of the adaptive-limit shape whose value the test sets. */
class MovableLimit implements AdaptiveLimit {
  readonly kind = 'adaptive-limit' as const;
  readonly name = 'movable';
  readonly min = 1;
  readonly max = 8;
  current: number;
  samples = 0;
  constructor(initial: number) {
    this.current = initial;
  }
  record(): void {
    this.samples++;
  }
  on(): () => void {
    return () => {};
  }
  stats() {
    return { limit: this.current, baselineMs: undefined, samples: this.samples, probing: false };
  }
}

interface Real {
  readonly limit: MovableLimit | undefined;
  /** Calls that started while as many as the limit in force were running already. */
  overLimit: number;
  readonly bulkhead: Bulkhead;
  readonly clock: FakeClock;
  readonly calls: Call[];
  readonly started: number[];
  running: number;
  highest: number;
}

type Command = fc.AsyncCommand<Model, Real>;

async function agree(model: Model, real: Real): Promise<void> {
  await real.clock.advance(0);
  expect(real.started).toEqual(model.started);
  expect(real.bulkhead.stats()).toMatchObject({ active: model.running.length, queued: model.queue.length });
  for (const [id, outcome] of model.outcomes) expect(real.calls[id]?.outcome, `call ${id}`).toBe(outcome);
  for (const id of [...model.running.filter((r) => !model.abandoned.has(r)), ...model.queue.map((w) => w.id)]) {
    expect(real.calls[id]?.outcome, `call ${id} is still in`).toBeUndefined();
  }
  expect(real.overLimit).toBe(0);
  if (!model.config.movable) expect(real.highest).toBeLessThanOrEqual(model.config.limit);
}

class CallCommand implements Command {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const id = model.call();
    const call: Call = { controller: new AbortController() };
    real.calls[id] = call;
    real.bulkhead
      .execute(
        () => {
          real.started.push(id);
          if (real.running >= (real.limit?.current ?? model.config.limit)) real.overLimit++;
          real.running++;
          real.highest = Math.max(real.highest, real.running);
          return new Promise<string>((resolve, reject) => {
            call.settle = (ok: boolean) => {
              real.running--;
              if (ok) resolve('ok');
              else reject(new Error('down'));
            };
          });
        },
        { signal: call.controller.signal },
      )
      .then(
        () => {
          call.outcome = 'ok';
        },
        (error: unknown) => {
          if (error instanceof BulkheadRejectedError) {
            call.outcome = error.message.includes('is full') ? 'full' : 'queue-timeout';
          } else call.outcome = error === call.controller.signal.reason ? 'aborted' : 'failed';
        },
      );
    await agree(model, real);
  }
  toString = () => 'call';
}

class Finish implements Command {
  constructor(
    readonly pick: number,
    readonly ok: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.running.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const id = model.running[this.pick % model.running.length] as number;
    model.finish(id, this.ok);
    const call = real.calls[id];
    const settle = call?.settle;
    if (call) call.settle = undefined;
    settle?.(this.ok);
    await agree(model, real);
  }
  toString = () => `finish(${this.pick}, ${this.ok ? 'ok' : 'fail'})`;
}

class Abort implements Command {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.next > 0;
  async run(model: Model, real: Real): Promise<void> {
    const id = this.pick % model.next;
    model.abort(id);
    real.calls[id]?.controller.abort(new Error(`caller ${id} gave up`));
    await agree(model, real);
  }
  toString = () => `abort(${this.pick})`;
}

class SetLimit implements Command {
  constructor(readonly limit: number) {}
  check = (model: Readonly<Model>) => model.config.movable;
  async run(model: Model, real: Real): Promise<void> {
    // A lower limit stops nothing that runs; a higher one lets the queue in at the next call's end.
    model.limit = this.limit;
    if (real.limit) real.limit.current = this.limit;
    await agree(model, real);
  }
  toString = () => `setLimit(${this.limit})`;
}

class Advance implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    model.advance(this.ms);
    await real.clock.advance(this.ms);
    await agree(model, real);
  }
  toString = () => `advance(${this.ms})`;
}

describe('bulkhead against its model', () => {
  it('agrees on who runs, who waits, the start order and every outcome, for any sequence, with a fixed or a moving limit', async () => {
    // Calls are drawn three times as often as anything else, so the line fills up often.
    const commands = [
      fc.constant(new CallCommand()),
      fc.constant(new CallCommand()),
      fc.constant(new CallCommand()),
      fc.tuple(fc.nat(), fc.boolean()).map(([pick, ok]) => new Finish(pick, ok)),
      fc.nat().map((pick) => new Abort(pick)),
      fc.oneof(fc.constantFrom(1, 49, 50, 51), fc.integer({ min: 0, max: 120 })).map((ms) => new Advance(ms)),
      fc.integer({ min: 1, max: 5 }).map((n) => new SetLimit(n)),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          movable: fc.boolean(),
          limit: fc.integer({ min: 1, max: 4 }),
          queue: fc.integer({ min: 0, max: 4 }),
          queueTimeoutMs: fc.option(fc.constant(50), { nil: undefined }),
        }),
        fc.commands(commands, { maxCommands: 80 }),
        async (drawn, cmds) => {
          const config: Config = { ...drawn, queueTimeoutMs: drawn.queue === 0 ? undefined : drawn.queueTimeoutMs };
          const clock = new FakeClock();
          const limit = config.movable ? new MovableLimit(config.limit) : undefined;
          const real: Real = {
            limit,
            overLimit: 0,
            bulkhead: bulkhead({
              limit: limit ?? config.limit,
              queue: config.queue,
              queueTimeoutMs: config.queueTimeoutMs,
              clock,
            }),
            clock,
            calls: [],
            started: [],
            running: 0,
            highest: 0,
          };
          await fc.asyncModelRun(() => ({ model: new Model(config), real }), cmds);
          // Finish everything: nothing is left waiting, no timer is left behind.
          for (let round = 0; round <= real.calls.length; round++) {
            for (const call of real.calls) {
              const settle = call.settle;
              call.settle = undefined;
              settle?.(true);
            }
            await clock.advance(0);
          }
          expect(real.bulkhead.stats()).toMatchObject({ active: 0, queued: 0 });
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  }, 120_000);
});
