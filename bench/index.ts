/** `npm run bench`: every comparison with the anchors, in one run, then one table of ratios. */
import { printRows, runSuites } from './harness.ts';
import { timeoutComparisons, timeoutSuite } from './timeout.ts';

const rows = await runSuites([{ suite: timeoutSuite, comparisons: timeoutComparisons }]);
printRows(rows);
