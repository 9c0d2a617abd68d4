/** `npm run bench`: every comparison with the anchors, in one run, then one table of ratios. */

import { breakerComparisons, breakerSuite, pipelineComparisons, pipelineSuite } from './breaker.ts';
import { measureWatching } from './config-watch.ts';
import { printResults, runSuites } from './harness.ts';
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
import { measureBreakerMemory, printMemory } from './memory.ts';
import { metricsComparisons, metricsSuite } from './metrics.ts';
import { closeRedisBench, redisBenchUrl, redisSuites } from './redis.ts';
import { retryComparisons, retrySuite } from './retry.ts';
import { timeoutComparisons, timeoutSuite } from './timeout.ts';

const results = await runSuites([
  { suite: timeoutSuite, comparisons: timeoutComparisons },
  { suite: retrySuite, comparisons: retryComparisons },
  { suite: breakerSuite, comparisons: breakerComparisons },
  { suite: pipelineSuite, comparisons: pipelineComparisons },
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
  ...(redisBenchUrl === undefined ? [] : redisSuites(redisBenchUrl)),
]);
closeRedisBench();
printResults(results);
printStatusCost(results.cases);
printMemory(await measureBreakerMemory());
for (const row of await measureRateLimitMemory()) printMemory(row);
printHealthLoad(await measureHealthLoad());
await measureWatching();
