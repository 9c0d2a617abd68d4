/**
 * One server for the health load bench, run in its own process: `node bench/health-server.ts <kind>`.
 * Every kind has two checks, one that answers at once and one that never settles (a dependency
 * that hangs), and serves readiness on /health. It prints its port, then serves until killed.
 *
 * - `bulwark`: createHealthChecker (timeoutMs 1000); the probe reads precomputed bytes.
 * - `terminus`: @godaddy/terminus runs both checks on every request; the hanging one is wrapped
 *   in bulwark's timeout(1000), the usual way to keep a terminus check from hanging forever.
 * - `terminus-fast`: terminus with the hanging check replaced by one that answers at once: its
 *   cost per request when nothing hangs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTerminus } from '@godaddy/terminus';
import { createHealthChecker } from 'bulwark/health';
import { timeout } from 'bulwark/timeout';

const kind = process.argv[2];
const fast = async () => {};
const hang = () => new Promise<void>(() => {});

let server: ReturnType<typeof createServer>;
if (kind === 'bulwark') {
  const health = createHealthChecker({ intervalMs: 5000, timeoutMs: 1000 });
  health.register('fast', fast);
  health.register('hanging', hang);
  health.start();
  server = createServer(health.handler());
} else if (kind === 'terminus' || kind === 'terminus-fast') {
  const limit = timeout(1000);
  const second = kind === 'terminus' ? () => limit.execute(hang) : fast;
  server = createTerminus(
    createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    }),
    {
      healthChecks: {
        '/health': async () => {
          await Promise.all([fast(), second()]);
        },
      },
      signals: [],
    },
  );
} else {
  throw new Error(`usage: node bench/health-server.ts bulwark | terminus | terminus-fast; got ${kind}`);
}
server.listen(0, '127.0.0.1', () => {
  console.log(String((server.address() as AddressInfo).port));
});
