/**
 * `bulwark/http` (Node only): the serving side. Request deadlines whose signal reaches the
 * policies a handler calls, load shedding with hysteresis, RFC 9457 problem details for every
 * error, and request ids in every log line, each for node:http, express, fastify and hono.
 *
 * @packageDocumentation
 */
export type { RequestCarrier, RequestDeadline, RequestDeadlineEvents, RequestDeadlineOptions } from './deadline.js';
export { deadlineOf, requestDeadline } from './deadline.js';
export type {
  ExpressMiddleware,
  FastifyPlugin,
  HonoErrorHandler,
  HonoMiddleware,
  HttpMiddleware,
  NodeListener,
} from './middleware.js';
export type { ProblemDocument, ProblemOptions, ProblemResponse } from './problem.js';
export { PROBLEM_JSON_TYPE, problemDetails } from './problem.js';
export type { ExpressErrorMiddleware, ProblemHandler, ProblemHandlerOptions } from './problem-handler.js';
export { problemHandler } from './problem-handler.js';
export type { RequestIdMiddleware, RequestIdOptions } from './request-id.js';
export { requestId, requestIdOf } from './request-id.js';
export type { LoadSample, LoadShedder, LoadShedderEvents, LoadShedderOptions, LoadShedderStats } from './shedder.js';
export { loadShedder } from './shedder.js';
