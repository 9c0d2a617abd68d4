import { policies } from 'bulwark';
import { circuitBreaker } from 'bulwark/breaker';
import { createMetrics } from 'bulwark/metrics';
import { FakeClock } from 'bulwark/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

async function series(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe('metrics of a policies() registry', () => {
  it('observes policies made later, and stops exporting the ones it drops (no series leak)', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    const hosts = policies({ create: (host) => circuitBreaker({ name: host }), maxKeys: 2 });
    hosts.get('a.example');
    const stop = metrics.observe(hosts);
    await hosts.get('b.example').execute(() => 1);
    expect(await series(registry, 'bulwark_circuit_breaker_calls_total')).toEqual(
      expect.arrayContaining([expect.stringContaining('breaker="b.example"')]),
    );
    expect((await series(registry, 'bulwark_circuit_breaker_state')).join('\n')).toContain('breaker="a.example"');
    hosts.get('c.example'); // a.example is dropped
    const text = await registry.metrics();
    expect(text).not.toContain('a.example');
    expect(text).toContain('c.example');
    stop();
    hosts.get('d.example');
    expect(await registry.metrics()).not.toContain('d.example');
  });

  it('10,000 keys through a registry of 1,000 leave at most 1,000 names in the exposition', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    const clock = new FakeClock();
    const tenants = policies({ create: (t) => circuitBreaker({ name: t, clock }), maxKeys: 1000 });
    metrics.observe(tenants);
    for (let i = 0; i < 10_000; i++) await tenants.get(`tenant-${i}`).execute(() => i);
    const names = new Set((await registry.metrics()).match(/breaker="tenant-\d+"/g));
    expect(names.size).toBe(1000);
  });
});
