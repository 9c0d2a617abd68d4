import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compose, RetryableError } from 'bulwark';
import { loadShedder, problemHandler, requestDeadline, requestId } from 'bulwark/http';
import { createLogger } from 'bulwark/logger';
import { constant, retry } from 'bulwark/retry';
import { MemorySink } from 'bulwark/testing';
import { timeout } from 'bulwark/timeout';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.js';
import { FRAMEWORKS, get, type Running, start } from './apps.js';

failOnUnhandledRejections();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(FRAMEWORKS)('requestId on %s, with every part on', (framework) => {
  const sink = new MemorySink();
  const log = createLogger({ name: 'api', sink });
  let upstream: Server;
  let upstreamUrl: string;
  let running: Running;
  let calls = 0;
  let shedder: ReturnType<typeof loadShedder>;

  beforeAll(async () => {
    shedder = loadShedder();
    // A real upstream that fails every other call, so each request retries once.
    upstream = createServer((_req, res) => {
      calls++;
      if (calls % 2 === 1) res.writeHead(503).end('busy');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"cents":1250}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const retries = retry({ name: 'upstream-retry', attempts: 3, backoff: constant(1) });
    retries.on('retry', ({ attempt }) => log.warn('upstream failed, retrying', { attempt }));
    const policy = compose(retries, timeout({ ms: 2000, name: 'upstream' }));
    const call = async ({
      signal,
      requestId: id,
      body,
    }: {
      signal: AbortSignal | undefined;
      requestId: string | undefined;
      body: unknown;
    }) => {
      log.info('calling upstream', { body });
      const price = await policy.execute(
        async ({ signal: attemptSignal }) => {
          const res = await fetch(`${upstreamUrl}/price`, { signal: attemptSignal });
          if (!res.ok) throw new RetryableError(`upstream ${res.status}`);
          return (await res.json()) as { cents: number };
        },
        { signal },
      );
      log.info('upstream answered', { cents: price.cents });
      return { status: 200, body: String(id) };
    };
    running = await start(
      framework,
      {
        before: [requestId(), shedder, requestDeadline({ ms: 5000 })],
        problems: problemHandler({ log }),
      },
      {
        '/price': call,
        '/fail': async () => {
          await Promise.resolve();
          throw new Error('boom');
        },
      },
    );
  });
  afterAll(async () => {
    await running.close();
    shedder.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('starts once the shedder has seen the test process calm down', async () => {
    await calmDown(shedder);
  });

  it('makes an id, sets it on the response, and every log line of the request carries it, through a policy and its retry', async () => {
    sink.clear();
    const res = await get(running.port, '/price');
    expect(res.status).toBe(200);
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(UUID);
    expect(res.text).toBe(id);
    const records = sink.records;
    expect(records.map((r) => r.msg)).toEqual(['calling upstream', 'upstream failed, retrying', 'upstream answered']);
    for (const record of records) expect(record.requestId).toBe(id);
  });

  it('keeps the id across a request body being read (POST)', async () => {
    sink.clear();
    const res = await get(running.port, '/price', {
      method: 'POST',
      body: { sku: 'widget' },
      headers: { 'x-request-id': 'client-42' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('client-42');
    expect(sink.records.map((r) => r.requestId)).toEqual(['client-42', 'client-42', 'client-42']);
    expect(sink.records[0]?.body).toEqual({ sku: 'widget' });
  });

  it('sends a client id that looks like a secret back as it came, and censors it in the logs', async () => {
    sink.clear();
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    const res = await get(running.port, '/price', { headers: { 'x-request-id': token } });
    expect(res.headers['x-request-id']).toBe(token);
    expect(sink.records.length).toBe(3);
    expect(sink.lines.join('\n')).not.toContain(token);
    expect(sink.records[0]?.requestId).toContain('[REDACTED]');
  });

  it('replaces an id that could inject into logs', async () => {
    const res = await get(running.port, '/price', { headers: { 'x-request-id': 'a b"}\t{' } });
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('puts the id in the problem body and in the log line of the failure', async () => {
    sink.clear();
    const res = await get(running.port, '/fail', { headers: { 'x-request-id': 'req-7' } });
    expect(res.status).toBe(500);
    expect(res.headers['x-request-id']).toBe('req-7');
    expect(res.json()).toMatchObject({ status: 500, requestId: 'req-7' });
    expect(sink.records).toEqual([
      expect.objectContaining({ level: 'error', msg: 'request failed', requestId: 'req-7' }),
    ]);
  });
});

/** Waits for the shedder to admit requests: loading a test file keeps the loop busy for a while. */
async function calmDown(shedder: ReturnType<typeof loadShedder>): Promise<void> {
  const until = Date.now() + 5000;
  while (shedder.overloaded && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  expect(shedder.stats()).toMatchObject({ overloaded: false });
}

describe('requestId options', () => {
  it('refuses bad options and a generator that makes bad ids', async () => {
    expect(() => requestId({ header: 'x id' })).toThrow(/"header" must be an HTTP header name/);
    expect(() => requestId({ generate: 'uuid' as never })).toThrow(/"generate" must be a function/);
    expect(() => requestId({ prefix: 'a' } as never)).toThrow(/unknown option "prefix"/);
    const ids = requestId({ generate: () => 'bad id' });
    const listener = ids.node(() => {});
    expect(() => listener({ headers: {} } as never, { setHeader() {} } as never)).toThrow(/returned "bad id"/);
  });
});
