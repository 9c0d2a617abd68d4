/** The overload runs' CPU-bound route and the shedder's settings, shared by bench/http.ts and bench/http-server.ts. */

export const BURN_MS = 4;
/**
 * The shedder's settings in the overload runs; under-pressure gets the same utilization and delay
 * limits and interval (it has nothing like maxWaitMs). `BENCH_SHED` (JSON) overrides them.
 */
export const SHED = {
  maxEventLoopUtilization: 0.9,
  maxEventLoopDelayMs: 50,
  sampleIntervalMs: 20,
  maxWaitMs: 2 * BURN_MS,
  ...(JSON.parse(process.env.BENCH_SHED ?? '{}') as object),
} as { maxEventLoopUtilization: number; maxEventLoopDelayMs: number; sampleIntervalMs: number; maxWaitMs?: number };
