/**
 * pino with bulwark's redactor: secrets under keys nobody listed, inside messages, URLs and
 * errors never reach the output. Run: npm run build && node examples/pino-redaction.ts
 */
import { pinoRedaction } from 'bulwark/logger';
import pino from 'pino';

const log = pino({ ...pinoRedaction(), base: null });
log.info({ user: 'ann', password: 'hunter2' }, 'signed in');
log.info({ url: 'https://api.example.com/items?api_key=k8s7df6g5h4j3k2l1&page=2' }, 'fetched');
log.warn('retrying with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlMTIz');
log.error(new Error('connect to postgres://app:s3cret99@db.internal:5432/main failed'));
