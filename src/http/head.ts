/**
 * Adding one header to a node:http response as its head is written, instead of up front with
 * `setHeader`. node:http writes the head straight from the headers given to `writeHead`, unless a
 * header was set before with `setHeader`: then it merges them in one by one, validating each
 * again, and builds the head from the merged set. A header set up front sent every response of
 * a plain `res.writeHead(200, headers)` handler down that path. Every head is written by
 * `writeHead`: `end()`, `write()` and `flushHeaders()` without it call `this.writeHead(statusCode)`.
 */
import { ServerResponse } from 'node:http';

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

/** node:http's own writeHead: what a response without one of its own calls. */
const NODE_WRITE_HEAD = ServerResponse.prototype.writeHead;

/** What an adder keeps on a response whose `writeHead` was already replaced by someone else. */
interface Chained {
  readonly value: string;
  readonly previous: WriteHead;
}

/**
 * Adds one header, `name` (lower-case), to responses as their heads are written: `add(res, value)`
 * gives `res` this adder's `writeHead`, one function for every response, the value riding on the
 * response under this adder's own symbol, so two adders on one response (two `requestId`s with
 * different headers) each send theirs. A `writeHead` another middleware gave the response stays in
 * the chain: then the value rides with it (`Chained`). One property per response, always present
 * when the adder's `writeHead` runs: a symbol read that misses walks the response's whole
 * prototype chain, measured as the largest cost of the adder.
 * @internal
 */
export class HeaderAdder {
  readonly #key: symbol = Symbol('bulwark.http.head');
  readonly #writeHead: WriteHead;

  constructor(name: string) {
    const key = this.#key;
    this.#writeHead = function writeHead(this: ServerResponse, status: number, reason?: unknown, headers?: unknown) {
      const kept = (this as unknown as Record<symbol, string | Chained | undefined>)[key];
      let value: string;
      let write: AnyWriteHead;
      if (typeof kept === 'object') {
        value = kept.value;
        write = kept.previous as AnyWriteHead;
      } else {
        // node's, or a subclass's own (a server made with createServer({ ServerResponse })).
        write = (Object.getPrototypeOf(this) as ServerResponse).writeHead as AnyWriteHead;
        // Not added to this response (our writeHead copied onto another): nothing to send.
        if (kept === undefined) return write.call(this, status, reason, headers);
        value = kept;
      }
      // A header the handler set itself wins, as it did when ours was set first.
      if (this.hasHeader(name)) return write.call(this, status, reason, headers);
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
    const current = res.writeHead;
    const own = res as unknown as Record<symbol, string | Chained | undefined>;
    let previous: WriteHead | undefined;
    if (current === this.#writeHead) {
      // Added again: the chain it already had stays.
      const kept = own[this.#key];
      previous = typeof kept === 'object' ? kept.previous : undefined;
    } else if (current !== NODE_WRITE_HEAD && Object.hasOwn(res, 'writeHead')) {
      // Read through the prototype chain first: the common case, node's own, costs one load.
      previous = current;
    }
    own[this.#key] = previous === undefined ? value : { value, previous };
    res.writeHead = this.#writeHead;
  }
}
