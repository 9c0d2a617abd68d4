/**
 * The processes of the bulwark/http load bench: a server from bench/http-server.ts, and one run
 * of bench/http-load.ts, each a node process of its own. `on` runs either on one core when the
 * caller pins (`taskset -c <core>`), or wherever the OS puts it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** What one run of bench/http-load.ts prints. */
export interface Load {
  readonly requestsPerSecond: number;
  readonly errors: number;
  readonly statuses: Record<string, { count: number; p50: number; p99: number }>;
  readonly probes: { count: number; ok: number; within100ms: number; p99: number; max: number };
}

/** The command prefix that pins a process to `core` (`taskset -c core`), or none. */
export type Pin = readonly string[];

function command(pin: Pin, script: string, args: string[]): [string, string[]] {
  const full = [process.execPath, join(root, script), ...args];
  return pin.length === 0 ? [process.execPath, full.slice(1)] : [pin[0] as string, [...pin.slice(1), ...full]];
}

/** Starts `node <server> framework setup` and resolves with its port once it listens. */
export function startServer(
  framework: string,
  setup: string,
  pin: Pin = [],
  server = 'bench/http-server.ts',
): Promise<{ child: ChildProcess; port: number }> {
  const [file, args] = command(pin, server, [framework, setup]);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`http-server ${framework} ${setup} exited with ${code}`)));
    child.stdout?.once('data', (chunk: Buffer) => resolve({ child, port: Number(chunk.toString().trim()) }));
  });
}

/** Stops a server started by {@link startServer}. */
export function stopServer(child: ChildProcess): void {
  child.removeAllListeners('exit');
  child.kill('SIGKILL');
}

/** One run of bench/http-load.ts with `options` (see LoadOptions there). */
export function load(options: Record<string, unknown>, pin: Pin = []): Promise<Load> {
  const [file, args] = command(pin, 'bench/http-load.ts', [JSON.stringify(options)]);
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(JSON.parse(stdout) as Load),
    );
  });
}
