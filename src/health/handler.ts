/**
 * The node:http handler: a route lookup and a write of bytes built when the snapshot changed.
 * No await, no check run, no JSON work per request.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { describe } from '../core/errors.js';
import { checkKnownKeys, checkOptionsObject } from '../core/options.js';
import { fullBody, HEALTH_JSON_TYPE, type HealthServiceInfo, shortBody } from './format.js';
import type { HealthGroup, HealthSnapshot } from './snapshot.js';

/** Where each endpoint is served; `false` turns one off (e.g. `detailed: false` in public). */
export interface HealthPaths {
  /** Readiness with a short body (default `'/health'`). */
  readonly health?: string | false | undefined;
  /** Liveness checks (default `'/health/live'`). */
  readonly live?: string | false | undefined;
  /** Readiness checks (default `'/health/ready'`). */
  readonly ready?: string | false | undefined;
  /** Startup checks (default `'/health/startup'`). */
  readonly startup?: string | false | undefined;
  /** Every check (default `'/health/detailed'`). */
  readonly detailed?: string | false | undefined;
}

/** Options of `checker.handler()`. */
export interface HealthHandlerOptions extends HealthServiceInfo {
  /** Paths of the endpoints; the query string is ignored when matching. */
  readonly paths?: HealthPaths | undefined;
}

/**
 * A `node:http` request listener. Given a third argument (express's `next`), a request for a
 * path it does not serve is passed on; otherwise it gets a 404.
 */
export type HealthHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

type Route = keyof HealthPaths;
const ROUTES: readonly Route[] = ['health', 'live', 'ready', 'startup', 'detailed'];
const DEFAULT_PATHS: Readonly<Record<Route, string>> = {
  health: '/health',
  live: '/health/live',
  ready: '/health/ready',
  startup: '/health/startup',
  detailed: '/health/detailed',
};
const VIEW: Readonly<Record<Route, HealthGroup | undefined>> = {
  health: 'readiness',
  live: 'liveness',
  ready: 'readiness',
  startup: 'startup',
  detailed: undefined,
};

interface Prepared {
  readonly code: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
}

/** Where the handler reads snapshots, and how it hears about new ones. @internal */
export interface SnapshotSource {
  status(group?: HealthGroup): HealthSnapshot;
  onSnapshot(listener: () => void): void;
}

function plain(code: number, text: string, extra: OutgoingHttpHeaders = {}): Prepared {
  const body = Buffer.from(JSON.stringify({ status: 'fail', output: text }));
  return {
    code,
    body,
    headers: {
      'content-type': HEALTH_JSON_TYPE,
      'content-length': body.length,
      'cache-control': 'no-store',
      ...extra,
    },
  };
}

const NOT_ALLOWED = plain(405, 'method not allowed: use GET or HEAD', { allow: 'GET, HEAD' });
const NOT_FOUND = plain(404, 'not found');

function prepare(snapshot: HealthSnapshot, body: Buffer): Prepared {
  return {
    code: snapshot.status === 'fail' ? 503 : 200,
    body,
    headers: {
      'content-type': HEALTH_JSON_TYPE,
      'content-length': body.length,
      'cache-control': 'no-store',
    },
  };
}

function checkInfo(where: string, o: HealthHandlerOptions): HealthServiceInfo {
  const info: Record<string, string> = {};
  for (const key of ['version', 'releaseId', 'serviceId', 'description'] as const) {
    const value = o[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > 256) {
      throw new TypeError(
        `${where}: option "${key}" must be a string of at most 256 characters; got ${describe(value)}`,
      );
    }
    info[key] = value;
  }
  return info;
}

function checkPaths(where: string, paths: unknown): Map<string, Route> {
  checkOptionsObject(`${where}: paths`, paths);
  checkKnownKeys(`${where}: paths`, paths ?? {}, ROUTES);
  const given = (paths ?? {}) as Record<Route, unknown>;
  const routes = new Map<string, Route>();
  for (const route of ROUTES) {
    const path = given[route] ?? DEFAULT_PATHS[route];
    if (path === false) continue;
    if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
      throw new TypeError(
        `${where}: option "paths.${route}" must be a path starting with "/" (no query, no spaces) or false; got ${describe(path)}`,
      );
    }
    const normal = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const taken = routes.get(normal);
    if (taken !== undefined) {
      throw new TypeError(
        `${where}: option "paths.${route}" is ${JSON.stringify(path)}, already the path of "${taken}"`,
      );
    }
    routes.set(normal, route);
  }
  return routes;
}

const HANDLER_OPTIONS = ['paths', 'version', 'releaseId', 'serviceId', 'description'] as const;

/** @internal */
export function createHandler(source: SnapshotSource, options: HealthHandlerOptions | undefined): HealthHandler {
  const where = 'handler';
  checkOptionsObject(where, options);
  checkKnownKeys(where, options ?? {}, HANDLER_OPTIONS);
  const o = options ?? {};
  const routes = checkPaths(where, o.paths);
  const info = checkInfo(where, o);
  const used = new Set(routes.values());
  const responses = new Map<Route, Prepared>();

  const rebuild = () => {
    for (const route of used) {
      const snapshot = source.status(VIEW[route]);
      responses.set(route, prepare(snapshot, route === 'health' ? shortBody(snapshot) : fullBody(snapshot, info)));
    }
  };
  rebuild();
  source.onSnapshot(rebuild);

  return (req, res, next) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    let path = query === -1 ? url : url.slice(0, query);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const route = routes.get(path);
    let answer: Prepared | undefined;
    if (route === undefined) {
      if (typeof next === 'function') {
        next();
        return;
      }
      answer = NOT_FOUND;
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer = NOT_ALLOWED;
    } else {
      answer = responses.get(route) as Prepared;
    }
    res.writeHead(answer.code, answer.headers);
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  };
}
