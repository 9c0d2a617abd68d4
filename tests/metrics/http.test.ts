import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { circuitBreaker } from 'bulwark/breaker';
import { createMetrics } from 'bulwark/metrics';
import { FakeClock } from 'bulwark/testing';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

const servers: Array<ReturnType<typeof createServer>> = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

describe('a /metrics endpoint', () => {
  it('serves the exposition text Prometheus scrapes, with its content type', async () => {
    const registry = new Registry();
    const clock = new FakeClock();
    const breaker = circuitBreaker({ name: 'payments', clock });
    createMetrics({ registry, labels: { service: 'shop' } }).observe(breaker);
    await breaker.execute(async () => 'ok');
    await breaker.execute(async () => 'ok');

    const server = createServer(async (_req, res) => {
      res.setHeader('Content-Type', registry.contentType);
      res.end(await registry.metrics());
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = (await res.text()).split('\n');
    expect(lines).toContain('# TYPE bulwark_circuit_breaker_calls_total counter');
    expect(lines).toContain(
      'bulwark_circuit_breaker_calls_total{service="shop",breaker="payments",outcome="success"} 2',
    );
    expect(lines).toContain('# TYPE bulwark_circuit_breaker_state gauge');
    expect(lines).toContain('bulwark_circuit_breaker_state{service="shop",breaker="payments",state="closed"} 1');
    expect(lines).toContain('# TYPE bulwark_call_duration_seconds histogram');
    expect(lines).toContain(
      'bulwark_call_duration_seconds_count{service="shop",policy="payments",outcome="success"} 2',
    );
  });
});
