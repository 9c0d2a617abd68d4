import { CircuitOpenError, compose, TimeoutError } from 'bulwark';
import { fallback } from 'bulwark/fallback';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const fail = (message = 'down') => Promise.reject(new Error(message));

describe('fallback', () => {
  it('passes a success through untouched and answers a failure with the value', async () => {
    const policy = fallback({ value: 'cached' });
    await expect(policy.execute(() => 'fresh')).resolves.toBe('fresh');
    await expect(policy.execute(async () => 'fresh')).resolves.toBe('fresh');
    await expect(policy.execute(() => fail())).resolves.toBe('cached');
    await expect(
      policy.execute(() => {
        throw new Error('sync');
      }),
    ).resolves.toBe('cached');
    expect(policy.stats()).toEqual({ used: 2, failed: 0 });
  });

  it('a value of undefined is a value', async () => {
    await expect(fallback({ value: undefined }).execute(() => fail())).resolves.toBeUndefined();
  });

  it('to() gets the error and the call context, and may be async', async () => {
    const seen: unknown[] = [];
    const policy = fallback({
      to: async (error, { signal, attempt }) => {
        seen.push((error as Error).message, signal.aborted, attempt);
        return 'degraded';
      },
    });
    await expect(policy.execute(() => fail('boom'), { attempt: 2 })).resolves.toBe('degraded');
    expect(seen).toEqual(['boom', false, 2]);
  });

  it('what to() throws or rejects with is what the call rejects with, and counts as failed', async () => {
    const policy = fallback({
      to: (error) => {
        throw new Error(`no fallback for ${(error as Error).message}`);
      },
    });
    await expect(policy.execute(() => fail('x'))).rejects.toThrow('no fallback for x');
    const asyncPolicy = fallback({ to: () => Promise.reject(new Error('cache down too')) });
    await expect(asyncPolicy.execute(() => fail())).rejects.toThrow('cache down too');
    expect(policy.stats()).toEqual({ used: 1, failed: 1 });
  });

  it('when narrows what it answers; a throwing when counts as no', async () => {
    const onlyTimeouts = fallback({ value: 'late', when: (e) => e instanceof TimeoutError });
    await expect(
      onlyTimeouts.execute(() => Promise.reject(new TimeoutError(undefined, { timeoutMs: 5 }))),
    ).resolves.toBe('late');
    await expect(onlyTimeouts.execute(() => fail('other'))).rejects.toThrow('other');
    const broken = fallback({
      value: 'x',
      when: () => {
        throw new Error('bug in when');
      },
    });
    await expect(broken.execute(() => fail('real'))).rejects.toThrow('real');
  });

  it("the caller's abort is never answered: the call rejects at once with the caller's reason", async () => {
    const policy = fallback({ value: 'fallback' });
    const controller = new AbortController();
    let workSignal: AbortSignal | undefined;
    const call = policy.execute(
      ({ signal }) => {
        workSignal = signal;
        return new Promise<string>(() => {});
      },
      { signal: controller.signal },
    );
    controller.abort(new Error('client left'));
    await expect(call).rejects.toThrow('client left');
    expect(workSignal?.aborted).toBe(true);
    await expect(policy.execute(() => 'x', { signal: controller.signal })).rejects.toThrow('client left');
    expect(policy.stats().used).toBe(0);
  });

  it('answers what the pipeline inside it gives up with (an inner timeout, an open breaker)', async () => {
    const clock = new FakeClock();
    const pipeline = compose(timeout({ ms: 100, clock }));
    const policy = fallback({ to: (error) => (error instanceof TimeoutError ? 'timed out' : 'other') });
    const call = policy.execute(({ signal }) => pipeline.execute(() => new Promise<string>(() => {}), { signal }));
    await clock.advance(100);
    await expect(call).resolves.toBe('timed out');
    const open = fallback({ value: 'stale', when: (e) => e instanceof CircuitOpenError });
    await expect(
      open.execute(() => Promise.reject(new CircuitOpenError({ breaker: 'b', retryAfterMs: 10 }))),
    ).resolves.toBe('stale');
  });

  it('emits fallback with the error, and a throwing listener changes nothing', async () => {
    const policy = fallback({ name: 'prices', value: 0 });
    const events: unknown[] = [];
    policy.on('fallback', (e) => events.push(e));
    policy.on('fallback', () => {
      throw new Error('listener bug');
    });
    const error = new Error('down');
    await expect(policy.execute(() => Promise.reject(error))).resolves.toBe(0);
    expect(events).toEqual([{ name: 'prices', error }]);
    expect(policy.kind).toBe('fallback');
  });

  it.each([
    [undefined, 'fallback: options { value } or { to } are required'],
    [
      {},
      'fallback: give exactly one of "value" (what a failed call resolves with) or "to" ((error, context) => value); got neither',
    ],
    [{ value: 1, to: () => 2 }, 'got both'],
    [{ to: 'x' }, 'fallback: option "to" must be a function (error, context) => value; got "x" (string)'],
    [{ value: 1, when: true }, 'option "when" must be a function (error) => boolean; got true (boolean)'],
    [{ value: 1, name: '' }, 'option "name" must be a string of 1 to 128 printable characters'],
    [{ value: 1, fallback: 2 }, 'fallback: unknown option "fallback"; valid options are "value", "to", "when", "name"'],
  ])('refuses bad options %j at construction', (options, message) => {
    expect(() => fallback(options as never)).toThrow(message);
  });
});
