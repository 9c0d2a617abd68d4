/**
 * `bulwark/logger`: structured JSON-lines logging where passwords, tokens and keys never appear,
 * and the redaction engine underneath it, usable with any logger (pino included).
 *
 * @packageDocumentation
 */
export type { LogLevel } from './levels.js';
export { LOG_LEVELS } from './levels.js';
export type { LogFields, Logger, LoggerOptions, LogMethod } from './logger.js';
export { createLogger, withLogContext } from './logger.js';
export type { PinoRedactionOptions } from './pino.js';
export { pinoRedaction } from './pino.js';
export type { SecretPattern } from './redact/patterns.js';
export type { CensorContext, Finding, Redactor, RedactorOptions } from './redact/redactor.js';
export { createRedactor } from './redact/redactor.js';
export type { FileSink, Sink, StreamSink } from './sinks.js';
export { fileSink, stdoutSink, streamSink } from './sinks.js';
