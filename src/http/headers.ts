/**
 * Reading a request header from `req.rawHeaders`. node:http builds `req.headers` on first read,
 * header by header; a handler that never reads it never pays for it, and reading one header
 * through it cost a plain handler more than the rest of bulwark/http's work per request.
 */
import type { IncomingMessage } from 'node:http';

/**
 * The value of the header `lower` (a lower-case name) as the client sent it; a header sent more
 * than once gives its values joined with `, `, as `req.headers` gives a header node does not know.
 * A request without `rawHeaders` (a hand-made one) is read through `req.headers`.
 * @internal
 */
export function headerOf(req: IncomingMessage, lower: string): string | undefined {
  const raw = req.rawHeaders;
  if (!Array.isArray(raw)) {
    const value = req.headers?.[lower];
    return Array.isArray(value) ? value.join(', ') : value;
  }
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === lower.length && name.toLowerCase() === lower) {
      const value = raw[i + 1] as string;
      found = found === undefined ? value : `${found}, ${value}`;
    }
  }
  return found;
}
