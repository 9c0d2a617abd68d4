/** Heap cost of many breakers: 10,000 with failureRate({ window: { calls: 100 } }) must fit in 20 MB. */
import { type CircuitBreaker, circuitBreaker, failureRate } from 'bulwark/breaker';

export interface MemoryRow {
  readonly what: string;
  readonly bytes: number;
  readonly budgetBytes: number;
}

function heapUsed(): number {
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
