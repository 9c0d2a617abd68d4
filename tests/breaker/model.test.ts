/**
 * Model-based test: random sequences of calls, time, isolation, reset and restarts run against
 * the breaker and against a small reference model of its state machine; after every step they
 * must agree on the state, and on whether the call ran or was refused.
 */
import { CircuitOpenError } from 'bulwark';
import { type CircuitBreaker, circuitBreaker, consecutiveFailures } from 'bulwark/breaker';
import { FakeClock } from 'bulwark/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const OPEN_MS = 1000;

interface Config {
  readonly failures: number;
  readonly successesToClose: number;
}

class Model {
  mode: 'closed' | 'open' | 'half-open' = 'closed';
  openUntil = 0;
  isolations = 0;
  run = 0;
  probeSuccesses = 0;
  now = 0;
  constructor(readonly config: Config) {}

  state(): string {
    if (this.isolations > 0) return 'isolated';
    if (this.mode === 'open' && this.now >= this.openUntil) this.enter('half-open');
    return this.mode;
  }

  enter(mode: Model['mode']): void {
    this.mode = mode;
    this.probeSuccesses = 0;
    if (mode === 'open') this.openUntil = this.now + OPEN_MS;
    if (mode === 'closed') this.run = 0;
  }

  /** Returns whether the call runs; applies its outcome, which arrives `duration` ms later. */
  call(failed: boolean, duration: number): boolean {
    const state = this.state();
    if (state === 'open' || state === 'isolated') return false;
    this.now += duration;
    if (state === 'half-open') {
      if (failed) this.enter('open');
      else if (++this.probeSuccesses >= this.config.successesToClose) this.enter('closed');
      return true;
    }
    this.run = failed ? this.run + 1 : 0;
    if (this.run >= this.config.failures) this.enter('open');
    return true;
  }
}

interface Real {
  breaker: CircuitBreaker;
  readonly clock: FakeClock;
  readonly releases: Array<() => void>;
  readonly make: (initialState?: ReturnType<CircuitBreaker['toJSON']>) => CircuitBreaker;
}

type Command = fc.AsyncCommand<Model, Real>;

const down = () => Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' });

class Call implements Command {
  constructor(
    readonly failed: boolean,
    readonly duration: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    let ran = false;
    const outcome = real.breaker
      .execute(
        () =>
          new Promise<string>((resolve, reject) => {
            ran = true;
            real.clock.setTimeout(() => (this.failed ? reject(down()) : resolve('ok')), this.duration);
          }),
      )
      .then(
        () => 'ok',
        (e: unknown) => (e instanceof CircuitOpenError ? 'refused' : 'failed'),
      );
    await real.clock.advance(ran ? this.duration : 0);
    const expectedRan = model.call(this.failed, this.duration);
    expect(ran).toBe(expectedRan);
    expect(await outcome).toBe(expectedRan ? (this.failed ? 'failed' : 'ok') : 'refused');
    expect(real.breaker.state).toBe(model.state());
  }
  toString = () => `call(${this.failed ? 'fail' : 'ok'}, ${this.duration}ms)`;
}

class Advance implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.clock.advance(this.ms);
    model.now += this.ms;
    expect(real.breaker.state).toBe(model.state());
  }
  toString = () => `advance(${this.ms})`;
}

class Isolate implements Command {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    real.releases.push(real.breaker.isolate());
    model.state();
    model.isolations++;
    expect(real.breaker.state).toBe(model.state());
  }
  toString = () => 'isolate';
}

class Release implements Command {
  check = (model: Readonly<Model>) => model.isolations > 0;
  async run(model: Model, real: Real): Promise<void> {
    real.releases.pop()?.();
    model.isolations--;
    if (model.isolations === 0) model.enter('half-open');
    expect(real.breaker.state).toBe(model.state());
  }
  toString = () => 'release';
}

class Reset implements Command {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    real.breaker.reset();
    model.state();
    model.enter('closed');
    expect(real.breaker.state).toBe(model.state());
    expect(real.breaker.stats().calls).toBe(0);
  }
  toString = () => 'reset';
}

class Restart implements Command {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const saved = JSON.parse(JSON.stringify(real.breaker.toJSON()));
    real.breaker = real.make(saved);
    real.releases.length = 0; // isolation is held by a live operator; it does not survive a restart
    model.state();
    model.isolations = 0;
    model.run = 0;
    model.probeSuccesses = 0;
    expect(real.breaker.state).toBe(model.state());
  }
  toString = () => 'restart';
}

describe('circuit breaker against its model', () => {
  it('agrees with the reference state machine for any sequence of operations', async () => {
    const commands = [
      fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 })).map(([failed, d]) => new Call(failed, d)),
      // Exact boundaries are where off-by-one bugs live, so they are drawn often.
      fc
        .oneof(fc.constantFrom(1, OPEN_MS - 1, OPEN_MS), fc.integer({ min: 1, max: 1500 }))
        .map((ms) => new Advance(ms)),
      fc.constant(new Isolate()),
      fc.constant(new Release()),
      fc.constant(new Reset()),
      fc.constant(new Restart()),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.record({ failures: fc.integer({ min: 1, max: 4 }), successesToClose: fc.integer({ min: 1, max: 3 }) }),
        fc.commands(commands, { maxCommands: 60 }),
        async (config, cmds) => {
          const clock = new FakeClock();
          const make = (initialState?: ReturnType<CircuitBreaker['toJSON']>) =>
            circuitBreaker({
              name: 'model',
              clock,
              trip: consecutiveFailures(config.failures),
              openMs: OPEN_MS,
              halfOpen: { probes: 1, successesToClose: config.successesToClose, probeTimeoutMs: 60_000 },
              initialState,
            });
          const real: Real = { breaker: make(), clock, releases: [], make };
          await fc.asyncModelRun(() => ({ model: new Model(config), real }), cmds);
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
