/** `node bench/logger-only.ts` after `npm run build`: only the logger and redactor comparisons, in one run. */
import { printResults, runSuites } from './harness.ts';
import { loggerComparisons, loggerSuite, redactorComparisons, redactorSuite } from './logger.ts';

printResults(
  await runSuites([
    { suite: loggerSuite, comparisons: loggerComparisons },
    { suite: redactorSuite, comparisons: redactorComparisons },
  ]),
);
