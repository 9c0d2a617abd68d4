import { STATUS_CODES } from 'node:http';
import { compose, TimeoutError } from 'bulwark';
import { deadlineOf, requestDeadline } from 'bulwark/http';
import { retry } from 'bulwark/retry';
import { FakeClock } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { afterEach, describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.js';
import { aborted, deferred, FRAMEWORKS, get, type Running, start, turns } from './apps.js';

failOnUnhandledRejections();

describe.each(FRAMEWORKS)('requestDeadline on %s', (framework) => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  async function serve(ms = 1000, extra: { status?: number } = {}) {
    const clock = new FakeClock();
    const deadline = requestDeadline({ ms, clock, ...extra });
    const entered = deferred<AbortSignal>();
    const release = deferred();
    const lateDone = deferred();
    running = await start(
      framework,
      { before: [deadline] },
      {
        '/hang': ({ signal }) => {
          entered.resolve(signal as AbortSignal);
          return new Promise(() => {});
        },
        '/late': async ({ signal }) => {
          entered.resolve(signal as AbortSignal);
          await release.promise;
          lateDone.resolve();
          return { status: 200, body: 'late answer' };
        },
        '/fast': () => ({ status: 200, body: 'fast' }),
      },
    );
    return { clock, deadline, entered, release, lateDone, port: running.port };
  }

  it('answers a hanging handler at its deadline with 503 problem+json and aborts its signal with a TimeoutError', async () => {
    const { clock, deadline, entered, port } = await serve(1000);
    const seen: unknown[] = [];
    deadline.on('timeout', (event) => seen.push(event));
    const reply = get(port, '/hang?x=1');
    const signal = await entered.promise;
    expect(signal.aborted).toBe(false);
    await clock.advance(999);
    expect(signal.aborted).toBe(false);
    await clock.advance(1);
    const res = await reply;
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json()).toEqual({
      type: 'about:blank',
      title: STATUS_CODES[503],
      status: 503,
      code: 'ERR_REQUEST_DEADLINE',
      detail: 'the request did not complete within 1000 ms',
    });
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(TimeoutError);
    expect(seen).toEqual([{ method: 'GET', path: '/hang', ms: 1000, answered: true }]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('drops an answer that comes after the deadline: no ERR_HTTP_HEADERS_SENT, the server goes on', async () => {
    const { clock, entered, release, lateDone, port } = await serve(500);
    const reply = get(port, '/late');
    await entered.promise;
    await clock.advance(500);
    expect((await reply).status).toBe(503);
    release.resolve();
    await lateDone.promise;
    await turns(10);
    const next = await get(port, '/fast');
    expect(next.status).toBe(200);
    expect(next.text).toBe('fast');
    expect(clock.pendingTimers).toBe(0);
  });

  it('aborts the signal when the client goes away, and clears the timer', async () => {
    const { clock, entered, port } = await serve(60_000);
    const reply = get(port, '/hang');
    reply.catch(() => {});
    const signal = await entered.promise;
    expect(clock.pendingTimers).toBe(1);
    reply.req.destroy();
    const reason = await aborted(signal);
    expect((reason as Error).name).toBe('AbortError');
    expect(clock.pendingTimers).toBe(0);
  });

  it('leaves a request that finishes in time alone: no abort after success, no timer left', async () => {
    const { clock, port } = await serve(1000);
    const res = await get(port, '/fast');
    expect(res.status).toBe(200);
    await turns();
    expect(clock.pendingTimers).toBe(0);
  });

  it('answers with the configured status: 408 closes the connection (RFC 9110 15.5.9)', async () => {
    const { clock, entered, port } = await serve(100, { status: 408 });
    const reply = get(port, '/hang');
    await entered.promise;
    await clock.advance(100);
    const res = await reply;
    expect(res.status).toBe(408);
    expect(res.headers.connection).toBe('close');
    expect(res.json().status).toBe(408);
  });

  it('gives no deadline to a request that asks for an upgrade', async () => {
    const { clock, entered, port } = await serve(100);
    const hung = get(port, '/hang', { headers: { Upgrade: 'h2c' } });
    hung.catch(() => {});
    await entered.promise;
    expect(clock.pendingTimers).toBe(0);
    hung.req.destroy();
  });

  it('leaves a server-sent events stream alone past the deadline, and aborts its signal when the client leaves', async () => {
    const { clock, port } = await serve(100);
    const sse = get(port, '/sse', { headers: { accept: 'text/event-stream' } });
    sse.catch(() => {});
    const firstChunk = await new Promise<string>((resolve) =>
      sse.req.on('response', (res) => res.once('data', (chunk: Buffer) => resolve(chunk.toString()))),
    );
    expect(firstChunk).toContain('data: one');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(10_000);
    const signal = running?.sseSignals[0] as AbortSignal;
    expect(signal.aborted).toBe(false);
    sse.req.destroy();
    expect((await aborted(signal)) as Error).toMatchObject({ name: 'AbortError' });
  });
});

describe('a policy inside the handler', () => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
  });

  it.each(FRAMEWORKS)(
    'on %s inherits the deadline: its work is aborted with the TimeoutError, no retry follows',
    async (framework) => {
      const clock = new FakeClock();
      const deadline = requestDeadline({ ms: 1000, clock });
      const policy = compose(retry({ attempts: 3, clock }), timeout({ ms: 60_000, clock }));
      const workSignal = deferred<AbortSignal>();
      let attempts = 0;
      const settled = deferred<unknown>();
      running = await start(
        framework,
        { before: [deadline] },
        {
          '/call': async ({ signal }) => {
            try {
              await policy.execute(
                ({ signal: inner }) => {
                  attempts++;
                  workSignal.resolve(inner);
                  return new Promise(() => {});
                },
                { signal },
              );
            } catch (err) {
              settled.resolve(err);
              return { status: 500, body: 'too late: dropped' }; // the deadline answered already
            }
            return { status: 200, body: 'never' };
          },
        },
      );
      const reply = get(running.port, '/call');
      const inner = await workSignal.promise;
      await clock.advance(1000);
      expect((await reply).status).toBe(503);
      expect(inner.aborted).toBe(true);
      expect(inner.reason).toBeInstanceOf(TimeoutError);
      expect(await settled.promise).toBe(inner.reason);
      expect(attempts).toBe(1);
    },
  );
});

describe('requestDeadline options', () => {
  it('refuses bad options, naming the option, the value and what is valid', () => {
    expect(() => requestDeadline({ ms: 0 })).toThrow(/"ms" must be a number of milliseconds greater than 0.*got 0/);
    expect(() => requestDeadline({ ms: 10, status: 200 })).toThrow(
      /"status" must be a whole number from 400 to 599; got 200/,
    );
    expect(() => requestDeadline({ ms: 10, exempt: 'sse' as never })).toThrow(/"exempt" must be a function/);
    expect(() => requestDeadline({ ms: 10, typeBase: 'errors' })).toThrow(/"typeBase" must be an absolute URI/);
    expect(() => requestDeadline({ ms: 10, timeout: 5 } as never)).toThrow(/unknown option "timeout"/);
    expect(() => requestDeadline(undefined as never)).toThrow(/expected options/);
  });

  it('deadlineOf says when no requestDeadline ran', () => {
    expect(() => deadlineOf({ headers: {} } as never)).toThrow(/no requestDeadline ran for this request/);
  });
});
