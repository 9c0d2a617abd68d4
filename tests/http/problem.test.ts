import { STATUS_CODES } from 'node:http';
import { BulkheadRejectedError, CircuitOpenError, RateLimitedError, RejectedError, TimeoutError } from 'bulwark';
import { problemDetails, problemHandler } from 'bulwark/http';
import { createLogger, createRedactor } from 'bulwark/logger';
import { MemorySink } from 'bulwark/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.js';
import { FRAMEWORKS, get, type Running, start } from './apps.js';

failOnUnhandledRejections();

const SECRET = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';

/** RFC 9457 section 3.1: the members' types, status equal to the response's, and about:blank's title. */
function expectProblem(body: Record<string, unknown>, status: number): void {
  expect(typeof body.type).toBe('string');
  expect(() => new URL(body.type as string)).not.toThrow(); // an absolute URI reference
  expect(body.status).toBe(status);
  expect(Number.isInteger(body.status)).toBe(true);
  expect(typeof body.title).toBe('string');
  if (body.type === 'about:blank') expect(body.title).toBe(STATUS_CODES[status]);
  if ('detail' in body) expect(typeof body.detail).toBe('string');
  if ('instance' in body) expect(typeof body.instance).toBe('string');
}

class NotFound extends Error {
  readonly status = 404;
}
class Teapot extends Error {
  readonly statusCode = 418;
}
class Upstream extends Error {
  readonly status = 502;
}

const CASES: Array<{
  name: string;
  error: () => unknown;
  status: number;
  retryAfter?: string;
  code: string;
  detail: boolean;
}> = [
  {
    name: 'circuit',
    error: () => new CircuitOpenError({ breaker: 'prices', retryAfterMs: 29_001 }),
    status: 503,
    retryAfter: '30',
    code: 'ERR_CIRCUIT_OPEN',
    detail: true,
  },
  {
    name: 'bulkhead',
    error: () => new BulkheadRejectedError({ policy: 'pool', retryAfterMs: 0 }),
    status: 503,
    retryAfter: '0',
    code: 'ERR_BULKHEAD_FULL',
    detail: true,
  },
  {
    name: 'rate',
    error: () => new RateLimitedError({ policy: 'api', retryAfterMs: 1500 }),
    status: 429,
    retryAfter: '2',
    code: 'ERR_RATE_LIMITED',
    detail: true,
  },
  {
    name: 'rejected',
    error: () => new RejectedError({ policy: 'custom', retryAfterMs: 100 }),
    status: 503,
    retryAfter: '1',
    code: 'ERR_REJECTED',
    detail: true,
  },
  {
    // Retry-After is delta-seconds: never 1e+297; at most a day, like every retryAfterMs bulwark reads.
    name: 'rate-far',
    error: () => new RateLimitedError({ policy: 'api', retryAfterMs: 1e300 }),
    status: 429,
    retryAfter: '86400',
    code: 'ERR_RATE_LIMITED',
    detail: true,
  },
  {
    // An error whose status getter throws: a plain 500, not a crashed server.
    name: 'status-getter-throws',
    error: () =>
      Object.defineProperty(new Error(`boom ${SECRET}`), 'status', {
        get() {
          throw new Error('status getter says no');
        },
      }),
    status: 500,
    code: 'ERR_INTERNAL',
    detail: false,
  },
  {
    name: 'timeout',
    error: () => new TimeoutError(undefined, { timeoutMs: 300 }),
    status: 504,
    code: 'ERR_TIMEOUT',
    detail: true,
  },
  {
    name: 'marked',
    error: () => new NotFound(`no order 42 for token ${SECRET}`),
    status: 404,
    code: 'HTTP_404',
    detail: true,
  },
  { name: 'teapot', error: () => new Teapot("I'm a teapot"), status: 418, code: 'HTTP_418', detail: true },
  {
    name: 'upstream',
    error: () => new Upstream(`upstream said password=${SECRET}`),
    status: 502,
    code: 'HTTP_502',
    detail: false,
  },
  {
    name: 'bug',
    error: () => new TypeError(`cannot read x of undefined; db password=${SECRET}`),
    status: 500,
    code: 'ERR_INTERNAL',
    detail: false,
  },
  { name: 'string', error: () => `thrown string ${SECRET}`, status: 500, code: 'ERR_INTERNAL', detail: false },
];

describe('problemDetails', () => {
  it.each(CASES)('$name -> $status', ({ error, status, retryAfter, code, detail }) => {
    const problem = problemDetails(error());
    expect(problem.status).toBe(status);
    expect(problem.headers['content-type']).toBe('application/problem+json');
    expect(problem.headers['retry-after']).toBe(retryAfter);
    expectProblem(problem.body as unknown as Record<string, unknown>, status);
    expect(problem.body.code).toBe(code);
    expect('detail' in problem.body).toBe(detail);
    expect(JSON.stringify(problem)).not.toContain(SECRET);
  });

  it('answers a thrown Proxy whose traps all throw with a plain 500', () => {
    const hostile = new Proxy(new Error('x'), {
      get() {
        throw new Error('trap');
      },
      getPrototypeOf() {
        throw new Error('trap');
      },
      has() {
        throw new Error('trap');
      },
    });
    const problem = problemDetails(hostile);
    expect(problem.status).toBe(500);
    expect(problem.body.code).toBe('ERR_INTERNAL');
    expect('detail' in problem.body).toBe(false);
  });

  it('names types under typeBase with a specific title', () => {
    const problem = problemDetails(new RateLimitedError({ policy: 'api', retryAfterMs: 10 }), {
      typeBase: 'https://errors.example.com/',
    });
    expect(problem.body.type).toBe('https://errors.example.com/rate-limited');
    expect(problem.body.title).toBe('Rate limit reached');
  });

  it('uses the redactor it is given', () => {
    const redactor = createRedactor({ patterns: [{ name: 'order', regex: /order \d+/g }] });
    const problem = problemDetails(new NotFound('no order 42'), { redactor });
    expect(problem.body.detail).toBe('no [REDACTED]');
  });

  it('never throws and never reveals a 5xx message, whatever is thrown', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), (thrown, message) => {
        const problem = problemDetails(thrown);
        expect(problem.status).toBeGreaterThanOrEqual(400);
        expect(problem.status).toBeLessThanOrEqual(599);
        const bug = problemDetails(Object.assign(new Error(message), { status: 500 }));
        expect(bug.body).not.toHaveProperty('detail');
      }),
    );
  });

  it('refuses unknown options', () => {
    expect(() => problemDetails(new Error('x'), { base: 'x' } as never)).toThrow(/unknown option "base"/);
    expect(() => problemHandler({ log: {} as never })).toThrow(/"log" must be a Logger/);
  });
});

describe.each(FRAMEWORKS)('problemHandler on %s', (framework) => {
  let running: Running;
  const sink = new MemorySink();
  beforeAll(async () => {
    const log = createLogger({ name: 'api', sink });
    const routes = Object.fromEntries(
      CASES.map(({ name, error }) => [
        `/error/${name}`,
        async () => {
          await Promise.resolve();
          throw error();
        },
      ]),
    );
    running = await start(framework, { before: [], problems: problemHandler({ log }) }, routes);
  });
  afterAll(() => running.close());

  // hono hands only Error instances to onError; a thrown string gets @hono/node-server's own bare 500.
  const cases = framework === 'hono' ? CASES.filter((c) => c.name !== 'string') : CASES;
  it.each(cases)('answers $name with $status problem+json, no secret', async ({ name, status, retryAfter, code }) => {
    sink.clear();
    const res = await get(running.port, `/error/${name}`);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['retry-after']).toBe(retryAfter);
    const body = res.json();
    expectProblem(body, status);
    expect(body.code).toBe(code);
    expect(res.text).not.toContain(SECRET);
    // A 5xx is logged with its cause, redacted; a 4xx is the client's business.
    expect(sink.records.length).toBe(status >= 500 ? 1 : 0);
    expect(sink.lines.join('\n')).not.toContain(SECRET);
  });
});
