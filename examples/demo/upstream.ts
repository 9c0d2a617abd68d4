/**
 * The flaky dependency: a real HTTP server on 127.0.0.1 whose behaviour follows the phase it is
 * set to. It checks the client's credentials too, like a real API would.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Phase } from './script.ts';

export interface Upstream {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  phase: Phase;
  /** Requests that reached the server. */
  readonly requests: number;
  close(): Promise<void>;
}

export async function startUpstream(apiKey: string): Promise<Upstream> {
  let requests = 0;
  let failures = 0;
  const state = { phase: 'healthy' as Phase };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    // For --interactive: `curl -X POST .../phase/down` moves the upstream by hand.
    const move = /^\/phase\/(\w+)$/.exec(req.url ?? '');
    if (req.method === 'POST' && move) {
      const to = move[1] as Phase;
      if (!['healthy', 'flaky', 'down', 'hanging', 'recovered'].includes(to))
        return reply(res, 404, { error: 'no such phase' });
      state.phase = to;
      return reply(res, 200, { phase: to });
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) return reply(res, 401, { error: 'bad credentials' });
    switch (state.phase) {
      case 'hanging':
        return; // never answers; the client's per-attempt timeout aborts the request
      case 'down':
        return reply(res, 503, { error: 'down' });
      case 'flaky':
        // The health ping is shallow: a flaky upstream still answers it.
        if (requests % 2 === 0 && !req.url?.startsWith('/ping')) {
          failures++;
          if (failures % 3 === 0) res.setHeader('retry-after', '1');
          return reply(res, 503, { error: 'overloaded' });
        }
        return reply(res, 200, { quote: quote() });
      default:
        return reply(res, 200, { quote: quote() });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get phase() {
      return state.phase;
    },
    set phase(phase: Phase) {
      state.phase = phase;
    },
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the hanging requests, and the client's keep-alive sockets
      }),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

const QUOTES = ['fail fast', 'retry what is transient', 'bound every wait', 'probe before trusting'];
let next = 0;
function quote(): string {
  next = (next + 1) % QUOTES.length;
  return QUOTES[next] as string;
}
