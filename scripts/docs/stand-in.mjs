// Preloaded (node --import) into every runnable docs block: a local HTTP server stands in for
// the example URLs, so `fetch('https://api.example.com/users/42')` answers without a network.
// Any URL whose host is not loopback is sent to it, path and query kept. It answers:
//   /status/NNN     that status (a `Retry-After: 0` on 429 and 503), body `{"status":NNN}`
//   anything else   200, `{"id":"42","name":"Ada","path":"/users/42"}` (id: the last path segment)
// The server is unref'd and closes each connection after answering: it never keeps a block's
// process alive (fetch keeps idle connections for 4 s otherwise).
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (status) {
    const code = Number(status[1]);
    const headers = { 'content-type': 'application/json', connection: 'close' };
    if (code === 429 || code === 503) headers['retry-after'] = '0';
    res.writeHead(code, headers).end(JSON.stringify({ status: code }));
    return;
  }
  const id = url.pathname.split('/').filter(Boolean).at(-1) ?? '';
  res
    .writeHead(200, { 'content-type': 'application/json', connection: 'close' })
    .end(JSON.stringify({ id, name: 'Ada', path: url.pathname }));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
server.unref();
const { port } = server.address();

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const raw = input instanceof Request ? input.url : String(input);
  const url = new URL(raw);
  if (LOOPBACK.has(url.hostname)) return realFetch(input, init);
  const local = `http://127.0.0.1:${port}${url.pathname}${url.search}`;
  return input instanceof Request ? realFetch(new Request(local, input), init) : realFetch(local, init);
};
