/**
 * The request id's writeHead in the chains real servers build: a server whose responses are a
 * subclass of ServerResponse with its own writeHead, the same requestId applied twice, and a
 * writeHead another middleware put on the response first, all on real node:http servers.
 */
import { createServer, type IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestId } from 'bulwark/http';
import { afterEach, describe, expect, it } from 'vitest';
import { get } from './apps.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const servers: Server[] = [];

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Marks the head it writes, as a framework's own response class might. */
class StampedResponse<R extends IncomingMessage = IncomingMessage> extends ServerResponse<R> {}
StampedResponse.prototype.writeHead = function (this: ServerResponse, ...args: unknown[]) {
  this.setHeader('x-class', 'stamped');
  return (ServerResponse.prototype.writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
} as ServerResponse['writeHead'];

describe("requestId's writeHead in a chain", () => {
  it("runs a ServerResponse subclass's own writeHead, and still sends the id", async () => {
    const port = await listen(
      createServer(
        { ServerResponse: StampedResponse },
        requestId().node((_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')),
      ),
    );
    const res = await get(port, '/');
    expect(res.text).toBe('ok');
    expect(res.headers['x-class']).toBe('stamped');
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('applied twice to one response, sends one id and keeps the writeHead that was there before', async () => {
    const ids = requestId();
    const inner = ids.node((_req, res) => void res.end('twice'));
    const port = await listen(
      createServer((req, res) => {
        const original = res.writeHead;
        // Another middleware's writeHead, first in line.
        res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
          this.setHeader('x-stamped', 'yes');
          return (original as (...a: unknown[]) => ServerResponse).apply(this, args);
        } as ServerResponse['writeHead'];
        ids.node(inner)(req, res);
      }),
    );
    const res = await get(port, '/', { headers: { 'x-request-id': 'twice-1' } });
    expect(res.text).toBe('twice');
    expect(res.headers['x-stamped']).toBe('yes');
    expect(res.headers['x-request-id']).toBe('twice-1');
  });

  it('copied onto a response it was never added to, writes that head untouched', async () => {
    let copied: ServerResponse['writeHead'] | undefined;
    const ids = requestId();
    const port = await listen(
      createServer((req, res) => {
        if (copied === undefined) {
          ids.node((_req, r) => {
            copied = r.writeHead;
            r.end('first');
          })(req, res);
          return;
        }
        res.writeHead = copied;
        res.writeHead(200, { 'content-type': 'text/plain' }).end('second');
      }),
    );
    expect((await get(port, '/')).headers['x-request-id']).toMatch(UUID);
    const second = await get(port, '/');
    expect(second.text).toBe('second');
    expect(second.headers['x-request-id']).toBeUndefined();
  });
});
