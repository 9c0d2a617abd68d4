/**
 * Issue 14, item 11: a shutdown that drops no request, on a real node:http server with real
 * keep-alive clients. While draining, responses say `Connection: close`, so no client keeps a
 * socket the server is about to close; at the end the server closes and waits for the requests
 * in flight.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealthChecker } from 'bulwark/health';
import { afterEach, describe, expect, it } from 'vitest';

const servers: Server[] = [];
const agents: Agent[] = [];
afterEach(() => {
  for (const agent of agents.splice(0)) agent.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function startServer(responseMs: number): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    setTimeout(() => res.end('ok'), responseMs);
  });
  // Idle keep-alive sockets are closed after 100 ms; the drain below lasts longer than that.
  server.keepAliveTimeout = 100;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

interface Tally {
  sent: number;
  ok: number;
  closeHeaders: number;
  errors: Map<string, number>;
}

function get(port: number, agent: Agent, tally: Tally): Promise<void> {
  tally.sent++;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      if (res.headers.connection === 'close') tally.closeHeaders++;
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) tally.ok++;
        resolve();
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const key = `${error.code ?? error.message}${req.reusedSocket ? ' (reused socket)' : ''}`;
      tally.errors.set(key, (tally.errors.get(key) ?? 0) + 1);
      resolve();
    });
    req.end();
  });
}

/** 50 keep-alive clients sending back to back until `until` resolves, through the whole drain. */
async function load(port: number, until: Promise<unknown>): Promise<Tally> {
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  agents.push(agent);
  const tally: Tally = { sent: 0, ok: 0, closeHeaders: 0, errors: new Map() };
  let done = false;
  void until.then(() => {
    done = true;
  });
  const client = async () => {
    while (!done) await get(port, agent, tally);
  };
  await Promise.all(Array.from({ length: 50 }, client));
  return tally;
}

describe('shutdown({ server }): a drain that drops no request', () => {
  it('answers every request, in flight at the end of the drain too, saying Connection: close while draining', async () => {
    // Requests take 500 ms. The drain lasts 1000 ms; the load balancer stops sending 600 ms into
    // it, so the last requests are still in flight, on kept-alive sockets, when the drain ends.
    const { server, port } = await startServer(500);
    const health = createHealthChecker();
    let shutdown: Promise<void> = Promise.resolve();
    const lbStops = new Promise<void>((resolve) => {
      setTimeout(() => {
        shutdown = health.shutdown({ drainMs: 1000, server });
        setTimeout(resolve, 600);
      }, 600);
    });
    const tally = await load(port, lbStops);
    await shutdown;
    expect(Object.fromEntries(tally.errors)).toEqual({});
    expect(tally.ok).toBe(tally.sent);
    expect(tally.closeHeaders).toBeGreaterThanOrEqual(50);
    expect(server.listening).toBe(false);
  }, 20_000);

  it('even with clients that never stop, no request on a kept-alive socket is reset', async () => {
    const { server, port } = await startServer(5);
    const health = createHealthChecker();
    let shutdown: Promise<void> = Promise.resolve();
    const drained = new Promise<void>((resolve) => {
      setTimeout(() => {
        shutdown = health.shutdown({ drainMs: 300, server });
        void shutdown.then(resolve);
      }, 100);
    });
    const tally = await load(port, drained);
    await shutdown;
    // Only new connections that reached a closed (or closing) listener fail; the server never
    // accepted them. Every request it accepted was answered.
    const onReused = [...tally.errors.keys()].filter((key) => key.includes('reused'));
    expect(onReused).toEqual([]);
  }, 20_000);

  it('the server option is checked by name', () => {
    const health = createHealthChecker();
    expect(() => health.shutdown({ drainMs: 10, server: {} as Server })).toThrow(
      /option "server" must be a node:http or node:https server/,
    );
  });
});
