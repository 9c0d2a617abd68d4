/**
 * Finds the Redis the tests run against: BULWARK_TEST_REDIS_URL, set by .ci/run. In CI a missing
 * variable fails the run; elsewhere the Redis tests are skipped with a message saying how to
 * start one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';

export const HOW_TO_START =
  "start one with: redis-server --port 6390 --save '' --appendonly no --daemonize yes && export BULWARK_TEST_REDIS_URL=redis://127.0.0.1:6390";

/** The URL, or undefined outside CI when none is set (the caller skips, after this prints why). */
export function redisUrl(): string | undefined {
  const url = process.env.BULWARK_TEST_REDIS_URL;
  if (url !== undefined && url !== '') return url;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`BULWARK_TEST_REDIS_URL is not set, and CI needs the Redis tests to run; ${HOW_TO_START}`);
  }
  console.warn(`Skipping the Redis tests: BULWARK_TEST_REDIS_URL is not set; ${HOW_TO_START}`);
  return undefined;
}

/** A unique key prefix per test, so test files share one Redis without seeing each other. */
export function testPrefix(name: string): string {
  return `bulwark-test:${name}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:`;
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A redis-server of its own on `port` (6391-6399), for tests that stop, flush or slow it. */
export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function ownRedis(port: number): OwnRedis {
  let child: ChildProcess | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child !== undefined) return;
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
        { stdio: 'ignore' },
      );
      for (let i = 0; i < 200; i++) {
        if (await reachable(port)) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`redis-server did not start on port ${port}`);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
  };
}
