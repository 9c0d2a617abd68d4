/** A request log line with secrets, to a null sink: bulwark's logger against pino, and the redactors alone. */
import pinoRedact from '@pinojs/redact';
import { createLogger, createRedactor } from 'bulwark/logger';
import pino from 'pino';
import type { Comparison, Suite } from './harness.ts';

export const record = {
  req: {
    method: 'POST',
    url: '/v1/charges?currency=eur&api_key=k8s7df6g5h4j3k2l1',
    headers: {
      authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlMTIz',
      'content-type': 'application/json',
      cookie: 'sid=bkm2uZKYivBnrRg1y7Jw641RIFXIpeUc',
      'user-agent': 'billing-client/2.3.1',
    },
    remoteAddress: '10.0.0.7',
  },
  user: { id: 'u-42', email: 'ann@example.com', password: 'riGp@58WAm!dX3' },
  res: { statusCode: 201, contentLength: 512 },
  durationMs: 42.7,
  requestId: 'r-8c1f2a',
};
export const SIX_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.url',
  'user.password',
  'user.apiKey',
  'token',
];
const nullStream = { write(_line: string) {} };

/** The same record with fresh strings each call (ids, a query, a user agent), as real traffic has. */
let n = 0;
export function freshRecord() {
  n++;
  return {
    ...record,
    req: {
      ...record.req,
      url: `/v1/charges?currency=eur&page=${n}&api_key=k8s7df6g5h4j3k2l1`,
      headers: { ...record.req.headers, 'user-agent': `billing-client/2.3.${n}` },
    },
    user: { ...record.user, email: `user${n}@example.com` },
    requestId: `r-${n.toString(16).padStart(8, '0')}`,
  };
}

export const loggerSuite: Suite = {
  name: 'logger, one request line to a null sink',
  cases: {
    'JSON.stringify alone': () => nullStream.write(JSON.stringify(record)),
    'pino, no redaction': (() => {
      const log = pino({ base: null }, nullStream);
      return () => log.info(record, 'request done');
    })(),
    'pino, 6 redact paths': (() => {
      const log = pino({ base: null, redact: SIX_PATHS }, nullStream);
      return () => log.info(record, 'request done');
    })(),
    'bulwark logger, default redaction': (() => {
      const log = createLogger({ sink: nullStream });
      return () => log.info('request done', record);
    })(),
    'pino, 6 redact paths, fresh strings': (() => {
      const log = pino({ base: null, redact: SIX_PATHS }, nullStream);
      return () => log.info(freshRecord(), 'request done');
    })(),
    'bulwark logger, default redaction, fresh strings': (() => {
      const log = createLogger({ sink: nullStream });
      return () => log.info('request done', freshRecord());
    })(),
  },
};

export const loggerComparisons: Comparison[] = [
  { subject: 'bulwark logger, default redaction', anchor: 'pino, 6 redact paths', target: 1.0 },
  {
    subject: 'bulwark logger, default redaction, fresh strings',
    anchor: 'pino, 6 redact paths, fresh strings',
    target: 1.0,
  },
];

export const redactorSuite: Suite = {
  name: 'redactor alone, object to JSON string',
  cases: {
    '@pinojs/redact, 6 paths': (() => {
      const redact = pinoRedact({ paths: SIX_PATHS });
      return () => redact(record);
    })(),
    'bulwark createRedactor() + JSON.stringify': (() => {
      const redactor = createRedactor();
      return () => JSON.stringify(redactor.redact(record));
    })(),
  },
};

export const redactorComparisons: Comparison[] = [
  {
    subject: 'bulwark createRedactor() + JSON.stringify',
    anchor: '@pinojs/redact, 6 paths',
    target: Number.POSITIVE_INFINITY,
  },
];
