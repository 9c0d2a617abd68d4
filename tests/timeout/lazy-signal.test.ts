/**
 * The work's signal is made when the work first reads it (issue #16): work that never reads it
 * pays nothing for it, and work that reads it late gets the same answers as work that read it
 * at once.
 */
import { compose } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';

failOnUnhandledRejections();

const never = () => new Promise<never>(() => {});

describe('the work signal of a timeout, made when read', () => {
  it('read after a delay, it is live and aborts at the deadline', async () => {
    const clock = new FakeClock();
    let context: { readonly signal: AbortSignal } | undefined;
    const call = timeout({ ms: 100, clock }).execute((ctx) => {
      context = ctx;
      return never();
    });
    const outcome = call.catch((err: unknown) => err);
    await clock.advance(60);
    const signal = context?.signal as AbortSignal;
    expect(signal.aborted).toBe(false);
    const heard: unknown[] = [];
    signal.addEventListener('abort', () => heard.push(signal.reason));
    await clock.advance(39);
    expect(signal.aborted).toBe(false);
    await clock.advance(1);
    const error = await outcome;
    expect(error).toMatchObject({ code: 'ERR_TIMEOUT', timeoutMs: 100 });
    expect(heard).toEqual([error]);
    expect(context?.signal).toBe(signal);
  });

  it('read only after the deadline, it is already aborted with the TimeoutError', async () => {
    const clock = new FakeClock();
    let context: { readonly signal: AbortSignal } | undefined;
    const outcome = timeout({ ms: 50, clock })
      .execute((ctx) => {
        context = ctx;
        return never();
      })
      .catch((err: unknown) => err);
    await clock.advance(50);
    const error = await outcome;
    const signal = context?.signal as AbortSignal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(error);
    expect(context?.signal).toBe(signal);
  });

  it('read after the caller aborted, it is aborted with the caller reason', async () => {
    const clock = new FakeClock();
    const caller = new AbortController();
    const reason = new Error('caller gave up');
    let context: { readonly signal: AbortSignal } | undefined;
    const outcome = timeout({ ms: 1000, clock })
      .execute(
        (ctx) => {
          context = ctx;
          return never();
        },
        { signal: caller.signal },
      )
      .catch((err: unknown) => err);
    caller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(context?.signal.aborted).toBe(true);
    expect(context?.signal.reason).toBe(reason);
    // The deadline that later passes changes nothing, and nothing is left armed.
    await clock.advance(1000);
    expect(context?.signal.reason).toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('read after the work succeeded, it is never aborted, not even once the deadline passes', async () => {
    const clock = new FakeClock();
    let context: { readonly signal: AbortSignal; readonly attempt: number } | undefined;
    const value = await timeout({ ms: 10, clock }).execute(async (ctx) => {
      context = ctx;
      return 'done';
    });
    expect(value).toBe('done');
    await clock.advance(100);
    expect(context?.signal.aborted).toBe(false);
    expect(context?.attempt).toBe(1);
  });

  it('its context exposes only the attempt and the signal: it prints and serializes small', async () => {
    const clock = new FakeClock();
    const context = await timeout({ ms: 10, clock }).execute((ctx) => ctx, { attempt: 2 });
    expect(Object.keys(context)).toEqual(['attempt']);
    expect(JSON.stringify(context)).toBe('{"attempt":2}');
    expect(context.signal).toBeInstanceOf(AbortSignal);
    expect(context.signal.aborted).toBe(false);
  });

  it('work that never reads it still times out, and its context reports the attempt', async () => {
    const clock = new FakeClock();
    const attempts: number[] = [];
    const outcome = timeout({ ms: 10, clock })
      .execute(
        ({ attempt }) => {
          attempts.push(attempt);
          return never();
        },
        { attempt: 3 },
      )
      .catch((err: unknown) => err);
    await clock.advance(10);
    expect(await outcome).toMatchObject({ code: 'ERR_TIMEOUT' });
    expect(attempts).toEqual([3]);
  });

  it('each call, and each attempt of a retry around it, gets a signal of its own', async () => {
    const clock = new FakeClock();
    const policy = compose(
      retry({ attempts: 3, backoff: () => 0, clock }),
      circuitBreaker({ clock }),
      timeout({ ms: 10, clock }),
    );
    const seen: AbortSignal[] = [];
    const value = await policy.execute(async ({ signal, attempt }) => {
      seen.push(signal);
      if (attempt < 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return attempt;
    });
    expect(value).toBe(3);
    expect(new Set(seen).size).toBe(3);
    expect(seen.every((signal) => !signal.aborted)).toBe(true);
  });

  it('a policy nested in the work follows the lazily made signal: the outer deadline reaches it', async () => {
    const clock = new FakeClock();
    const inner = timeout({ ms: 1000, clock });
    let innerSignal: AbortSignal | undefined;
    const outcome = timeout({ ms: 20, clock })
      .execute(({ signal }) =>
        inner.execute(
          (ctx) => {
            innerSignal = ctx.signal;
            return never();
          },
          { signal },
        ),
      )
      .catch((err: unknown) => err);
    await clock.advance(20);
    const error = await outcome;
    expect(error).toMatchObject({ code: 'ERR_TIMEOUT', timeoutMs: 20 });
    expect(innerSignal?.aborted).toBe(true);
    expect(innerSignal?.reason).toBe(error);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('the signal of a retry attempt, made when read', () => {
  it("read late, it is still the attempt's own and aborts when the caller does", async () => {
    const clock = new FakeClock();
    const caller = new AbortController();
    let context: { readonly signal: AbortSignal } | undefined;
    const outcome = retry({ attempts: 2, clock })
      .execute(
        (ctx) => {
          context = ctx;
          return never();
        },
        { signal: caller.signal },
      )
      .catch((err: unknown) => err);
    const reason = new Error('stop');
    caller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(context?.signal.aborted).toBe(true);
    expect(context?.signal).not.toBe(caller.signal);
  });

  it('without a caller, each attempt reads a signal of its own that never aborts', async () => {
    const clock = new FakeClock();
    const contexts: Array<{ readonly signal: AbortSignal }> = [];
    const call = retry({ attempts: 2, backoff: () => 0, clock }).execute(async (ctx) => {
      contexts.push(ctx);
      if (contexts.length === 1) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return 'ok';
    });
    expect(await call).toBe('ok');
    const [first, second] = contexts.map((c) => c.signal);
    expect(first).toBeInstanceOf(AbortSignal);
    expect(first).not.toBe(second);
    expect(first?.aborted).toBe(false);
    expect(second?.aborted).toBe(false);
  });
});
