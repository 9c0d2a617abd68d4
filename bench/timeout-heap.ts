/**
 * What one in-flight timed call holds, piece by piece (`node --expose-gc bench/timeout-heap.ts`
 * after `npx tsup --silent`). Each row keeps 10,000 of something alive and divides the heap it
 * grew by: the primitives a timed call cannot do without (the work's AbortSignal, the promise
 * handed to the caller with the means to reject it, a reaction on the work's promise), then the
 * timeout's own calls, with and without the work reading its signal, alone and in
 * `compose(retry, breaker, timeout)`. Decision 0011 records the figures.
 */
import { compose } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { retry } from 'bulwark/retry';
import { timeout } from 'bulwark/timeout';
import { heapUsed } from './memory.ts';

const N = 10_000;
const pending = new Promise<number>(() => {});
const noop = (): void => {};

/** Bytes per item held while `make` runs N times into a preallocated array. */
function held(make: (i: number) => unknown): number {
  const keep: unknown[] = new Array(N).fill(undefined);
  const before = heapUsed();
  for (let i = 0; i < N; i++) keep[i] = make(i);
  const after = heapUsed();
  if (keep.length !== N) throw new Error('unreachable');
  return (after - before) / N;
}

let resolveOut: unknown;
let rejectOut: unknown;
function capture(resolve: unknown, reject: unknown): void {
  resolveOut = resolve;
  rejectOut = reject;
}
class Holder {
  a: unknown;
  b: unknown;
  c: unknown;
  constructor(a: unknown, b: unknown, c: unknown) {
    this.a = a;
    this.b = b;
    this.c = c;
  }
  fulfil(): void {}
  fail(): void {}
}

const rows: Array<[string, number]> = [
  ['an object with 3 fields (the holder the rows below use)', held(() => new Holder(0, 0, 0))],
  ['new AbortController()', held(() => new AbortController())],
  ['new AbortController() and its signal', held(() => new AbortController().signal)],
  ['a pending promise, resolvers dropped', held(() => new Promise(noop))],
  [
    'a pending promise and its resolve function',
    held(() => {
      const promise = new Promise(capture);
      return new Holder(promise, resolveOut, undefined);
    }),
  ],
  [
    'a pending promise and its two resolvers',
    held(() => {
      const promise = new Promise(capture);
      return new Holder(promise, resolveOut, rejectOut);
    }),
  ],
  ['a reaction on a pending promise, shared handlers', held(() => pending.then(noop, noop))],
  [
    'a reaction on a pending promise, handlers bound to a call',
    held(() => {
      const call = new Holder(0, 0, 0);
      return pending.then(call.fulfil.bind(call), call.fail.bind(call));
    }),
  ],
  ...calls(),
];

function calls(): Array<[string, number]> {
  const alone = timeout(60_000);
  const pipeline = compose(retry({ attempts: 3 }), circuitBreaker(), timeout(60_000));
  const out: Array<[string, number]> = [];
  for (const [what, policy] of [
    ['timeout(ms)', alone],
    ['compose(retry, breaker, timeout)', pipeline],
  ] as const) {
    out.push([
      `${what}, the work reads its signal`,
      // No handler attached: it would add a reaction of its own to the measure. They would
      // time out a minute from now; the process exits long before.
      held(() => policy.execute(({ signal }) => (signal.aborted ? 0 : pending))),
    ]);
    out.push([`${what}, the work never reads its signal`, held(() => policy.execute(() => pending))]);
  }
  return out;
}

console.log(`| held per item, ${N.toLocaleString('en')} alive | bytes |`);
console.log('| --- | ---: |');
for (const [what, bytes] of rows) console.log(`| ${what} | ${bytes.toFixed(0)} |`);
console.log(`\nnode ${process.version}, ${process.platform}/${process.arch}`);
// The calls above time out a minute from now; nothing needs to wait for that.
process.exit(0);
