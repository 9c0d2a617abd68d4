/**
 * Heap of a `policies()` registry that has seen 100,000 keys over time with `maxKeys: 1000`: it
 * must stay bounded by the live policies, not grow with every key ever seen.
 */
import { policies } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { heapUsed, type MemoryRow } from './memory.ts';

export async function measureRegistryMemory(): Promise<MemoryRow> {
  const before = heapUsed();
  const hosts = policies({ create: (host) => circuitBreaker({ name: host }), maxKeys: 1000 });
  for (let i = 0; i < 100_000; i++) await hosts.get(`host-${i}.example`).execute(() => i);
  const after = heapUsed();
  if (hosts.size !== 1000) throw new Error(`expected 1000 live policies, got ${hosts.size}`);
  return {
    what: 'policies() after 100,000 keys, maxKeys 1000 (breakers)',
    bytes: after - before,
    budgetBytes: 2 * 1024 * 1024,
  };
}

// `node --expose-gc bench/registry.ts` alone (after a build) prints just this row.
if (import.meta.main) {
  const { printMemory } = await import('./memory.ts');
  printMemory(await measureRegistryMemory());
}
