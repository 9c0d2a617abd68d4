/**
 * The call pipeline alone (`node --expose-gc bench/pipeline.ts` after `npx tsup --silent`): the
 * pipeline, breaker, timeout and metrics comparisons of `npm run bench` in mitata and in CPU
 * time, plus the heap per in-flight timed call. For working on those budgets without the full run.
 */
import { breakerComparisons, breakerSuite, pipelineComparisons, pipelineSuite } from './breaker.ts';
import { printResults, runSuites, runSuitesCpu } from './harness.ts';
import { measureTimeoutMemory, printTimeoutMemory } from './memory.ts';
import { metricsComparisons, metricsSuite } from './metrics.ts';
import { timeoutComparisons, timeoutSuite } from './timeout.ts';

const suites = [
  { suite: timeoutSuite, comparisons: timeoutComparisons },
  { suite: breakerSuite, comparisons: breakerComparisons },
  { suite: pipelineSuite, comparisons: pipelineComparisons },
  { suite: metricsSuite, comparisons: metricsComparisons },
];
if (process.env.BENCH_SKIP_MITATA === undefined) printResults(await runSuites(suites));
console.log('\nCPU time per call, cases interleaved, best of 10 rounds (robust to other load):');
printResults(await runSuitesCpu(suites));
printTimeoutMemory(await measureTimeoutMemory());
