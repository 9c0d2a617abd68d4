import { createHealthChecker } from 'bulwark/health';
import { FakeClock } from 'bulwark/testing';
import { describe, expect, it } from 'vitest';

const ok = async () => {};

describe('health checker options', () => {
  it('refuses bad checker options, naming the option, the value and what is valid', () => {
    expect(() => createHealthChecker('x' as never)).toThrow(
      'createHealthChecker: options must be an object; got "x" (string)',
    );
    expect(() => createHealthChecker({ interval: 5 } as never)).toThrow(
      /unknown option "interval"; valid options are "intervalMs"/,
    );
    expect(() => createHealthChecker({ intervalMs: 0 })).toThrow(
      /"intervalMs" must be a number of milliseconds greater than 0/,
    );
    expect(() => createHealthChecker({ timeoutMs: '5' as never })).toThrow(/"timeoutMs" .* got "5" \(string\)/);
    expect(() => createHealthChecker({ clock: {} as never })).toThrow(/option "clock" must be a Clock/);
    expect(() => createHealthChecker({ random: 0.5 as never })).toThrow(/option "random" must be a function/);
    expect(() => createHealthChecker({ logger: { info() {} } as never })).toThrow(/option "logger" must have info/);
    expect(() => createHealthChecker({ redactor: {} as never })).toThrow(/option "redactor" must have a redactString/);
  });

  it('refuses bad names and register options at registration', () => {
    const checker = createHealthChecker({ clock: new FakeClock() });
    checker.register('db', ok);
    expect(() => checker.register('db', ok)).toThrow('register("db"): a check named "db" is registered already');
    for (const name of ['', '@all', 'a:b', 'with space', 'x'.repeat(65), 7]) {
      expect(() => checker.register(name as never, ok)).toThrow(/register: name must be 1 to 64 letters/);
    }
    expect(() => checker.register('x', 'nope' as never)).toThrow(/check must be a function/);
    expect(() => checker.register('x', ok, { critical: 'no' as never })).toThrow(/"critical" must be true or false/);
    expect(() => checker.register('x', ok, { groups: [] })).toThrow(/"groups" must be a non-empty array/);
    expect(() => checker.register('x', ok, { groups: ['ready'] as never })).toThrow(
      /'liveness', 'readiness', 'startup'/,
    );
    expect(() => checker.register('x', ok, { groups: ['liveness', 'liveness'] })).toThrow(/distinct/);
    expect(() => checker.register('x', ok, { failureThreshold: 0 })).toThrow(
      /"failureThreshold" must be a whole number from 1 to 1000/,
    );
    expect(() => checker.register('x', ok, { successThreshold: 1.5 })).toThrow(
      /"successThreshold" must be a whole number/,
    );
    expect(() => checker.register('x', ok, { measurement: 'a b' })).toThrow(/"measurement" must be 1 to 64/);
    expect(() => checker.register('x', ok, { staleAfterMs: 7000 })).toThrow(
      'register("x"): staleAfterMs (7000) must be more than intervalMs x 1.1 + timeoutMs (7500), or results would go stale between two runs; raise staleAfterMs or lower intervalMs',
    );
    expect(() => checker.register('x', ok, { retries: 3 } as never)).toThrow(
      /register\("x"\): unknown option "retries"/,
    );
    expect(Object.keys(checker.status().checks)).toEqual(['db']);
  });

  it('the default staleness is 3 x interval, raised to cover a long timeout', () => {
    const checker = createHealthChecker({ clock: new FakeClock(), intervalMs: 1000, timeoutMs: 5000 });
    expect(() => checker.register('slow', ok)).not.toThrow();
    expect(() => createHealthChecker({ staleAfterMs: 1000 }).register('x', ok)).toThrow(/staleAfterMs \(1000\)/);
    expect(() => checker.register('fast', ok, { intervalMs: 100, timeoutMs: 50 })).not.toThrow();
  });

  it('shutdown refuses a bad drainMs', () => {
    const checker = createHealthChecker({ clock: new FakeClock() });
    expect(() => checker.shutdown({ drainMs: -5 })).toThrow(/"drainMs" must be a number of milliseconds from 0/);
    expect(() => checker.shutdown({ drain: 5 } as never)).toThrow(/unknown option "drain"/);
    expect(checker.draining).toBe(false);
  });
});
