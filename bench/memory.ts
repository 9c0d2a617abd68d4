/**
 * Heap cost of many breakers (10,000 with failureRate({ window: { calls: 100 } }) must fit in
 * 20 MB) and of timed calls in flight (each under 200 B, all of them on one real timer).
 */
import { type Clock, systemClock } from 'bulwark';
import { type CircuitBreaker, circuitBreaker, failureRate } from 'bulwark/breaker';
import { timeout } from 'bulwark/timeout';

export interface MemoryRow {
  readonly what: string;
  readonly bytes: number;
  readonly budgetBytes: number;
}

/** Heap in use after two full collections: what the measures below subtract. */
export function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench does)');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function measureBreakerMemory(): Promise<MemoryRow> {
  const trip = failureRate({ threshold: 0.5, minimumCalls: 20, window: { calls: 100 } });
  const before = heapUsed();
  const breakers: CircuitBreaker[] = [];
  for (let i = 0; i < 10_000; i++) breakers.push(circuitBreaker({ name: `dep-${i}`, trip }));
  // Fill every window, so the measure includes the recorded outcomes.
  for (const breaker of breakers) {
    for (let call = 0; call < 100; call++) await breaker.execute(() => call);
  }
  const after = heapUsed();
  if (breakers.length !== 10_000) throw new Error('unreachable');
  return {
    what: '10,000 breakers, failureRate window of 100 calls, windows full',
    bytes: after - before,
    budgetBytes: 20 * 1024 * 1024,
  };
}

export function printMemory(row: MemoryRow): void {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  console.log(
    `| memory | ${row.what} | ${mb(row.bytes)} | budget ${mb(row.budgetBytes)} | ${row.bytes <= row.budgetBytes ? 'yes' : 'NO'} |`,
  );
}

export interface TimeoutMemoryRow {
  /** Heap held by each timed call while it is in flight, in bytes. */
  readonly bytesPerCall: number;
  readonly budgetBytes: number;
  /** Real timers armed at once while 10,000 timed calls were in flight. */
  readonly timersArmed: number;
}

/**
 * Heap per in-flight timed call, and the real timers 10,000 of them arm. The work returns one
 * shared pending promise and reads its signal, so the measure is what the timeout holds per call
 * (the work's AbortSignal included), not the work's own promise.
 */
export async function measureTimeoutMemory(): Promise<TimeoutMemoryRow> {
  const n = 10_000;
  let armed = 0;
  let maxArmed = 0;
  // The system clock's timers, counted: how many are armed at once.
  const clock: Clock = {
    now: () => systemClock.now(),
    setTimeout(cb, ms) {
      maxArmed = Math.max(maxArmed, ++armed);
      return systemClock.setTimeout(() => {
        armed--;
        cb();
      }, ms);
    },
    clearTimeout(handle) {
      armed--;
      systemClock.clearTimeout(handle);
    },
  };
  const pending = new Promise<number>(() => {});
  const policy = timeout({ ms: 60_000, clock });
  const calls: Promise<number>[] = new Array(n);
  const before = heapUsed();
  for (let i = 0; i < n; i++) calls[i] = policy.execute(({ signal }) => (signal.aborted ? 0 : pending));
  const after = heapUsed();
  // They time out a minute from now if the bench still runs: handled, like any caller would.
  for (const call of calls) call.catch(() => {});
  return { bytesPerCall: (after - before) / n, budgetBytes: 200, timersArmed: maxArmed };
}

export function printTimeoutMemory(row: TimeoutMemoryRow): void {
  console.log(
    `| memory | timeout, heap per in-flight call (10,000 in flight) | ${row.bytesPerCall.toFixed(0)} B | budget ${row.budgetBytes} B | ${row.bytesPerCall <= row.budgetBytes ? 'yes' : 'NO'} |`,
  );
  console.log(
    `| timers | 10,000 timed calls in flight: real timers armed | ${row.timersArmed} | budget 1 | ${row.timersArmed <= 1 ? 'yes' : 'NO'} |`,
  );
}
