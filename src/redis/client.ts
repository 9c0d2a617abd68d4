/**
 * The application's own Redis client, whichever library made it, seen through the one operation
 * bulwark needs: run a Lua script by its SHA1, loading it when Redis answers NOSCRIPT. Told
 * apart by shape, so neither library is imported here.
 */
import { describe } from '../core/errors.js';

/**
 * The part of an ioredis (or iovalkey) client bulwark uses: `evalsha` and `eval` with the
 * number of keys first. A `Redis` or a `Cluster` both fit.
 */
export interface IoredisLike {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: Array<string | number>): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: Array<string | number>): Promise<unknown>;
}

/**
 * The part of a node-redis (v5 and later) client bulwark uses: `evalSha` and `eval` with
 * `{ keys, arguments }`. A client from `createClient()` or a cluster from `createCluster()`
 * both fit; connect it before use.
 */
export interface NodeRedisLike {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** A Redis client bulwark can use: ioredis, iovalkey, or node-redis v5+. */
export type RedisClientLike = IoredisLike | NodeRedisLike;

/** A Lua script with its SHA1, as EVALSHA needs it. */
export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** Runs a script on Redis: EVALSHA first, EVAL (which also caches it) on NOSCRIPT. */
export interface ScriptRunner {
  run(script: Script, keys: string[], args: string[]): Promise<unknown>;
}

/** True for the NOSCRIPT reply both libraries turn into an error. */
export function isNoScript(error: unknown): boolean {
  return typeof (error as Error | null)?.message === 'string' && (error as Error).message.startsWith('NOSCRIPT');
}

/** How a client is driven, found from its shape; a TypeError naming `client` for anything else. */
export function scriptRunner(where: string, client: unknown, onReload: (script: Script) => void): ScriptRunner {
  // A script's first NOSCRIPT is its first load; one after it ran means Redis lost it (SCRIPT FLUSH, restart).
  const ran = new Set<string>();
  const missing = (script: Script): void => {
    if (ran.has(script.name)) onReload(script);
    ran.add(script.name);
  };
  const ranOnce =
    (script: Script) =>
    (reply: unknown): unknown => {
      ran.add(script.name);
      return reply;
    };
  const c = client as Partial<Record<string, unknown>> | null;
  if (typeof c === 'object' && c !== null && typeof c.evalsha === 'function' && typeof c.eval === 'function') {
    const io = c as unknown as IoredisLike;
    return {
      run(script, keys, args) {
        return io.evalsha(script.sha, keys.length, ...keys, ...args).then(ranOnce(script), (error: unknown) => {
          if (!isNoScript(error)) throw error;
          missing(script);
          return io.eval(script.source, keys.length, ...keys, ...args);
        });
      },
    };
  }
  if (typeof c === 'object' && c !== null && typeof c.evalSha === 'function' && typeof c.eval === 'function') {
    const nr = c as unknown as NodeRedisLike;
    return {
      run(script, keys, args) {
        const options = { keys, arguments: args };
        return nr.evalSha(script.sha, options).then(ranOnce(script), (error: unknown) => {
          if (!isNoScript(error)) throw error;
          missing(script);
          return nr.eval(script.source, options);
        });
      },
    };
  }
  throw new TypeError(
    `${where}: option "client" must be an ioredis/iovalkey client (with evalsha and eval) or a node-redis v5+ client (with evalSha and eval); got ${describe(client)}`,
  );
}
