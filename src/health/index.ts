/**
 * `bulwark/health`: background health checks, answered to probes from memory in the IETF
 * health+json format, with liveness, readiness and startup kept apart and a drain on shutdown.
 * Node-only (node:http, node:perf_hooks).
 *
 * @packageDocumentation
 */
export type {
  AggregateName,
  HandleSignalsOptions,
  HealthChangeEvent,
  HealthCheck,
  HealthChecker,
  HealthCheckerEvents,
  ShutdownOptions,
} from './checker.js';
export { createHealthChecker } from './checker.js';
export type { ClosableHealthCheck, EventLoopDelayOptions, HeapCheckOptions, HeapNumbers } from './checks.js';
export { eventLoopDelayCheck, heapCheck, policyCheck } from './checks.js';
export type { HealthServiceInfo } from './format.js';
export type { HealthHandler, HealthHandlerOptions, HealthPaths } from './handler.js';
export type { HealthCheckerOptions, HealthLogger, RegisterOptions } from './options.js';
export type { HealthCheckResult } from './result.js';
export type { CheckSnapshot, HealthGroup, HealthSnapshot, HealthStatus } from './snapshot.js';
