/**
 * `bulwark/metrics`: Prometheus metrics for every bulwark primitive, through the application's
 * own prom-client. Import it only where prom-client (an optional peer dependency) is installed.
 *
 * @packageDocumentation
 */
export type { Metrics, MetricsOptions, MetricsSource } from './metrics.js';
export { createMetrics } from './metrics.js';
export type { RedisStoreShape } from './observe-redis.js';
export type {
  ConfigWatcherShape,
  HealthCheckerShape,
  HealthCheckResultShape,
  HealthCheckStatus,
  HealthStatusShape,
} from './observe-state.js';
