/**
 * The service itself, on its own port: `GET /api/quote` calls the upstream through the client,
 * the health checker answers `/health*` from memory, and `/metrics` is what Prometheus scrapes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthChecker } from 'bulwark/health';
import type { Registry } from 'prom-client';
import type { Client } from './client.ts';

export interface Service {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startService(options: {
  readonly client: Client;
  readonly health: HealthChecker;
  readonly registry: Registry;
}): Promise<Service> {
  const { client, health, registry } = options;
  const probes = health.handler({ serviceId: 'bulwark-demo', releaseId: '0.1.0' });

  const server = createServer((req, res) =>
    probes(req, res, async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        res.setHeader('content-type', registry.contentType);
        res.end(await registry.metrics());
      } else if (path === '/api/quote') {
        const outcome = await client.call();
        res.statusCode = outcome.ok ? 200 : 503;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(outcome));
      } else {
        res.statusCode = 404;
        res.end('try /api/quote, /health, /health/ready, /health/detailed or /metrics\n');
      }
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
