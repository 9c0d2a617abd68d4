/**
 * Draining a node:http server so that no request is dropped. Closing a server with keep-alive
 * connections races its clients: a client that reuses an idle socket just as the server closes
 * it gets ECONNRESET. So while draining, every response says `Connection: close` (the client
 * opens a new connection for its next request, and the server closes this one after the
 * response); once the drain is longer than the server's `keepAliveTimeout`, no idle keep-alive
 * socket is left, and closing the server refuses new connections and waits for the requests in
 * flight.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { describe } from '../core/errors.js';

/** A drain in progress: `close()` ends it. */
export interface ServerDrain {
  /** Stops accepting, closes idle sockets, and resolves when every request in flight has ended. */
  close(): Promise<void>;
}

/** True for a node:http (or node:https, which extends it) server. */
export function isHttpServer(value: unknown): value is Server {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<Server>;
  return (
    typeof s.prependListener === 'function' &&
    typeof s.close === 'function' &&
    typeof s.closeIdleConnections === 'function' &&
    typeof s.off === 'function'
  );
}

/** Checks the `server` option of `shutdown` and `handleSignals`. */
export function serverOption(where: string, value: unknown): Server | undefined {
  if (value === undefined) return undefined;
  if (!isHttpServer(value)) {
    throw new TypeError(
      `${where}: option "server" must be a node:http or node:https server (http.createServer()); got ${describe(value)}`,
    );
  }
  return value;
}

/** Starts draining `server`: from now on every response it sends says `Connection: close`. */
export function drainServer(server: Server): ServerDrain {
  const closeAfter = (_req: IncomingMessage, res: ServerResponse): void => {
    // Before the application's own listener, so its headers are not sent yet.
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  server.prependListener('request', closeAfter);
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (!server.listening) {
          server.off('request', closeAfter);
          server.closeIdleConnections();
          resolve();
          return;
        }
        server.close(() => {
          server.off('request', closeAfter);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
