/**
 * A worker that retries jobs with typed errors: a job that throws `RetryableError` is tried again
 * (waiting at least its `retryAfterMs`), a `PermanentError` goes to the dead-letter list at once,
 * and any other error is sorted by `classify` (a reset connection is retried, a bug is not). One
 * retry budget is shared by every job, so when a dependency is down for all of them the worker
 * stops multiplying the load on it. Prints what happened to each job.
 * Run: npm run build && node examples/job-worker.ts
 */
import assert from 'node:assert/strict';
import { classify, compose, type GiveUpReason, PermanentError, RetryableError } from 'bulwark';
import { exponential, retry, retryBudget } from 'bulwark/retry';
import { timeout } from 'bulwark/timeout';

interface Job {
  readonly id: string;
  /** The job's work; it gets a signal that aborts when its attempt times out. */
  readonly run: (signal: AbortSignal, attempt: number) => Promise<void>;
}

/** An error as a network library throws it: bulwark reads `code`, here and on the `cause` chain. */
const networkError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.7:443`), { code });

const jobs: Job[] = [
  { id: 'email:welcome-ann', run: async () => {} },
  {
    id: 'image:resize-42',
    run: async (_signal, attempt) => {
      if (attempt === 1) throw new RetryableError('thumbnail service busy', { retryAfterMs: 150 });
    },
  },
  {
    id: 'charge:order-17',
    run: async () => {
      throw new PermanentError('card declined: insufficient funds');
    },
  },
  {
    id: 'report:weekly',
    run: async (_signal, attempt) => {
      if (attempt <= 2) throw networkError('ECONNRESET'); // not a bulwark error: classify says retryable
    },
  },
  {
    id: 'import:prices.csv',
    run: async () => {
      const parsed = JSON.parse('{}') as { rows: { length: number } };
      if (parsed.rows.length === 0) return; // a bug: TypeError, which classify says no retry can fix
    },
  },
  // The CRM is down for every one of these: the shared budget runs out and retries stop.
  ...[1, 2, 3, 4].map((n) => ({
    id: `crm:sync-${n}`,
    run: async () => {
      throw networkError('ECONNREFUSED');
    },
  })),
];

// At most 5 retries in any 10 s (minPerSecond 0.5) plus one for every two jobs started (ratio 0.5).
const budget = retryBudget({ ratio: 0.5, minPerSecond: 0.5, windowMs: 10_000 });
const retries = retry({
  name: 'jobs',
  attempts: 4,
  backoff: exponential({ initialMs: 50, maxMs: 400 }),
  budget,
});
const policy = compose(retries, timeout({ ms: 1000, name: 'job' }));

// One job at a time, so the policy's events belong to the job being run.
let giveUp: GiveUpReason | undefined;
retries.on('retry', ({ attempt, error, delayMs }) =>
  console.log(`  attempt ${attempt}: ${describe(error)}; retry in ${Math.round(delayMs)} ms`),
);
retries.on('giveUp', ({ attempts, error, reason }) => {
  giveUp = reason;
  console.log(`  attempt ${attempts}: ${describe(error)}; giving up (${explain[reason]})`);
});
const explain: Record<GiveUpReason, string> = {
  exhausted: 'no attempts left',
  permanent: 'trying again cannot help',
  rejected: 'a breaker inside refused, or just opened',
  budget: 'the shared retry budget is spent',
  deadline: 'out of time',
  aborted: 'the worker is stopping',
};
function describe(error: unknown): string {
  const name = error instanceof Error ? error.constructor.name : typeof error;
  return `${name} "${error instanceof Error ? error.message : String(error)}" (${classify(error)})`;
}

const done: string[] = [];
const deadLetters: { job: string; reason: GiveUpReason; error: string }[] = [];
let attempts = 0;
const started = performance.now();

for (const job of jobs) {
  console.log(`${job.id}:`);
  giveUp = undefined;
  try {
    await policy.execute(({ signal, attempt }) => {
      attempts++;
      return job.run(signal, attempt);
    });
    done.push(job.id);
    console.log('  done');
  } catch (error) {
    deadLetters.push({ job: job.id, reason: giveUp ?? 'permanent', error: String(error) });
    console.log('  -> dead-letter');
  }
}

const { retries: retried } = budget.stats();
console.log(
  `\n${jobs.length} jobs, ${attempts} attempts (${retried} retries) in ${Math.round(performance.now() - started)} ms`,
);
console.log(`done: ${done.join(', ')}`);
console.log('dead-letter:');
for (const { job, reason, error } of deadLetters) console.log(`  ${job.padEnd(18)} ${reason.padEnd(9)} ${error}`);

// The example checks its own outcome, so a change that breaks it fails `npm run check`.
assert.deepEqual(done, ['email:welcome-ann', 'image:resize-42', 'report:weekly']);
assert.deepEqual(
  deadLetters.map(({ job, reason }) => `${job} ${reason}`),
  [
    'charge:order-17 permanent',
    'import:prices.csv permanent',
    'crm:sync-1 exhausted',
    'crm:sync-2 budget',
    'crm:sync-3 budget',
    'crm:sync-4 budget',
  ],
);
assert.equal(retried, 9, 'the budget allowed 5 + 0.5 x 9 jobs = 9.5 retries');
