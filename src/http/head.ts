/**
 * Adding one header to a node:http response as its head is written, instead of up front with
 * `setHeader`. node:http writes the head straight from the headers given to `writeHead`, unless a
 * header was set before with `setHeader`: then it merges them in one by one, validating each
 * again, and builds the head from the merged set. A header set up front sent every response of
 * a plain `res.writeHead(200, headers)` handler down that path. Every head is written by
 * `writeHead`: `end()`, `write()` and `flushHeaders()` without it call `this.writeHead(statusCode)`.
 */
import type { ServerResponse } from 'node:http';

type WriteHead = ServerResponse['writeHead'];
type Headers = Record<string, unknown> | readonly unknown[];
/** writeHead as node:http calls it: status, then a reason or headers, then headers. */
type AnyWriteHead = (this: ServerResponse, status: number, reason?: unknown, headers?: unknown) => ServerResponse;

/** True when `name` is `lower` in any case; `lower` is lower-case. */
function sameName(name: unknown, lower: string): boolean {
  return typeof name === 'string' && name.length === lower.length && name.toLowerCase() === lower;
}

/**
 * The headers given to writeHead with `name: value` added, unless they have `name` already (theirs
 * wins, as it did over a header set up front). A copy: the caller's object or array may be shared.
 */
function withHeader(headers: Headers, name: string, value: string): Headers {
  if (Array.isArray(headers)) {
    // [[name, value], ...] or [name, value, name, value, ...], as node:http takes them.
    const pairs = headers.length > 0 && Array.isArray(headers[0]);
    const step = pairs ? 1 : 2;
    for (let i = 0; i < headers.length; i += step) {
      if (sameName(pairs ? (headers[i] as readonly unknown[])[0] : headers[i], name)) return headers;
    }
    return pairs ? [[name, value], ...headers] : [name, value, ...headers];
  }
  // A flat array, which node:http takes as it does an object and reads without a for-in.
  const record = headers as Record<string, unknown>;
  const keys = Object.keys(record);
  // Made at its size: grown from two by push, it was copied once more per response.
  const flat: unknown[] = new Array(2 + 2 * keys.length);
  flat[0] = name;
  flat[1] = value;
  let at = 2;
  for (const key of keys) {
    if (sameName(key, name)) return headers;
    // node:http's merge skips an empty name; so does this.
    if (key === '') continue;
    flat[at++] = key;
    flat[at++] = record[key];
  }
  flat.length = at;
  return flat;
}

/**
 * Adds one header, `name` (lower-case), to responses as their heads are written: `add(res, value)`
 * gives `res` this adder's `writeHead`, one function for every response, the value riding on the
 * response. Each adder keeps its value and the `writeHead` it replaced under its own symbols, so
 * two adders on one response (two `requestId`s with different headers) each send theirs.
 * @internal
 */
export class HeaderAdder {
  readonly #value: symbol = Symbol('bulwark.http.head.value');
  readonly #previous: symbol = Symbol('bulwark.http.head.previous');
  readonly #writeHead: WriteHead;

  constructor(name: string) {
    const valueKey = this.#value;
    const previousKey = this.#previous;
    this.#writeHead = function writeHead(this: ServerResponse, status: number, reason?: unknown, headers?: unknown) {
      const own = this as unknown as Record<symbol, unknown>;
      const write = ((own[previousKey] as WriteHead | undefined) ??
        (Object.getPrototypeOf(this) as ServerResponse).writeHead) as AnyWriteHead;
      const value = own[valueKey] as string | undefined;
      // A header the handler set itself wins, as it did when ours was set first.
      if (value === undefined || this.hasHeader(name)) {
        return write.call(this, status, reason, headers);
      }
      if (typeof reason !== 'string') {
        headers ??= reason;
        reason = undefined;
      }
      if (headers === undefined || headers === null) {
        // end() or write() alone, or writeHead(status): nothing to merge into.
        this.setHeader(name, value);
        return write.call(this, status, reason, headers);
      }
      return write.call(this, status, reason, withHeader(headers as Headers, name, value));
    } as WriteHead;
  }

  /** Makes `res` send `value` as its head is written. Nothing on node's prototypes changes. */
  add(res: ServerResponse, value: string): void {
    const own = res as unknown as Record<symbol, unknown>;
    own[this.#value] = value;
    // A writeHead another middleware gave this response stays in the chain, after ours.
    if (Object.hasOwn(res, 'writeHead') && res.writeHead !== this.#writeHead) own[this.#previous] = res.writeHead;
    res.writeHead = this.#writeHead;
  }
}
