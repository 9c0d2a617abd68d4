/** `npm run bench`: every comparison with the anchors, in one run, then one table of ratios. */

import {
  breakerComparisons,
  breakerSuite,
  pipelineComparisons,
  pipelineSuite,
  refusalComparisons,
  refusalSuite,
} from './breaker.ts';
import {
  bulkheadComparisons,
  bulkheadRejectComparisons,
  bulkheadRejectSuite,
  bulkheadSuite,
  printBulkheadCost,
} from './bulkhead.ts';
import { measureConfigLoading } from './config-load.ts';
import { measureWatching } from './config-watch.ts';
import { printResults, runSuites, runSuitesCpu } from './harness.ts';
import { healthComparisons, healthSuite, measureHealthLoad, printHealthLoad, printStatusCost } from './health.ts';
import {
  fallbackComparisons,
  fallbackSuite,
  fallbackUsedComparisons,
  fallbackUsedSuite,
  hedgeSuite,
  measureRateLimitMemory,
  rateLimitComparisons,
  rateLimitRefusedComparisons,
  rateLimitRefusedSuite,
  rateLimitSuite,
} from './limits.ts';
import { loggerComparisons, loggerSuite, redactorComparisons, redactorSuite } from './logger.ts';
import { measureBreakerMemory, measureTimeoutMemory, printMemory, printTimeoutMemory } from './memory.ts';
import { metricsComparisons, metricsSuite } from './metrics.ts';
import { closeRedisBench, redisBenchUrl, redisSuites, SHARED_BREAKER_SUITE } from './redis.ts';
import { measureRegistryMemory } from './registry.ts';
import { retryComparisons, retrySuite } from './retry.ts';
import { timeoutComparisons, timeoutSuite } from './timeout.ts';

const suites = [
  { suite: timeoutSuite, comparisons: timeoutComparisons },
  { suite: retrySuite, comparisons: retryComparisons },
  { suite: breakerSuite, comparisons: breakerComparisons },
  { suite: pipelineSuite, comparisons: pipelineComparisons },
  { suite: refusalSuite, comparisons: refusalComparisons },
  { suite: bulkheadSuite, comparisons: bulkheadComparisons },
  { suite: bulkheadRejectSuite, comparisons: bulkheadRejectComparisons },
  { suite: metricsSuite, comparisons: metricsComparisons },
  { suite: loggerSuite, comparisons: loggerComparisons },
  { suite: redactorSuite, comparisons: redactorComparisons },
  { suite: healthSuite, comparisons: healthComparisons },
  { suite: rateLimitSuite, comparisons: rateLimitComparisons },
  { suite: rateLimitRefusedSuite, comparisons: rateLimitRefusedComparisons },
  { suite: fallbackSuite, comparisons: fallbackComparisons },
  { suite: fallbackUsedSuite, comparisons: fallbackUsedComparisons },
  { suite: hedgeSuite, comparisons: [] },
  // The shared limits need a Redis: BULWARK_BENCH_REDIS_URL (docs/redis.md says how to start one).
  ...(redisBenchUrl === undefined ? [] : await redisSuites(redisBenchUrl)),
];
const results = await runSuites(suites);
printResults(results);
// The call policies again in CPU time, interleaved: the figures to trust on a loaded machine. The
// shared breaker is one of them (its success path makes no round trip); the Redis rate limit,
// whose cost is the round trip, is not.
// The logger too: its fresh-strings case makes garbage, so mitata's mean of it moves with the
// heap the suites before it left (0.93x and 1.44x pino in two quiet full runs, 0.80-0.82x alone).
const cpuSuites = [timeoutSuite, retrySuite, breakerSuite, pipelineSuite, refusalSuite, loggerSuite];
console.log('\nCPU time per call (or log line), cases interleaved, best of 10 rounds (robust to other load):');
printResults(
  await runSuitesCpu(suites.filter(({ suite }) => cpuSuites.includes(suite) || suite.name === SHARED_BREAKER_SUITE)),
);
closeRedisBench();
printStatusCost(results.cases);
printBulkheadCost(results);
printMemory(await measureBreakerMemory());
printTimeoutMemory(await measureTimeoutMemory());
printMemory(await measureRegistryMemory());
for (const row of await measureRateLimitMemory()) printMemory(row);
printHealthLoad(await measureHealthLoad());
measureConfigLoading();
await measureWatching();
