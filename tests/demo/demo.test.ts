import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_KEY } from '../../examples/demo/script.ts';

const root = join(import.meta.dirname, '../..');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the demo against src/ (no build needed; `npm run demo` runs it against dist/). */
function runDemo(): Promise<Run> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--experimental-transform-types',
      '--disable-warning=ExperimentalWarning',
      '--import',
      join(import.meta.dirname, 'from-source.mjs'),
      join(root, 'examples/demo/main.ts'),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BULWARK_DEMO_JSON: '1' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('npm run demo', () => {
  it('runs its script to the end, exits 0 by itself in under 60 s, and its summary shows every primitive at work', async () => {
    const run = await runDemo();
    expect(run.stderr).toBe('');
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    expect(run.ms).toBeLessThan(60_000);

    const line = run.stdout.split('\n').find((l) => l.startsWith('SUMMARY '));
    expect(line, run.stdout).toBeDefined();
    const summary = JSON.parse((line as string).slice('SUMMARY '.length)) as {
      calls: number;
      successes: number;
      refused: number;
      timeSavedMs: number;
      retries: number;
      breakerOpened: number;
      probes: number;
      reloadsApplied: number;
      reloadsRefused: number;
      readyStatuses: number[];
      ports: number[];
    };
    expect(summary.calls).toBeGreaterThan(0);
    expect(summary.successes).toBeGreaterThan(0);
    expect(summary.retries).toBeGreaterThan(0);
    expect(summary.breakerOpened).toBeGreaterThanOrEqual(1);
    expect(summary.probes).toBeGreaterThanOrEqual(1);
    expect(summary.refused).toBeGreaterThan(0);
    expect(summary.timeSavedMs).toBeGreaterThan(0);
    expect({ applied: summary.reloadsApplied, refused: summary.reloadsRefused }).toEqual({ applied: 1, refused: 1 });
    // Ready, then 503 while the upstream is down, then ready again.
    expect(summary.readyStatuses[0]).toBe(200);
    expect(summary.readyStatuses).toContain(503);
    expect(summary.readyStatuses.at(-1)).toBe(200);

    // The timeline tells each of these.
    for (const told of [
      'closed -> OPEN',
      'open -> HALF-OPEN',
      'half-open -> CLOSED',
      'refused at once',
      'reload APPLIED',
      'reload REFUSED',
      'GET /health/ready -> 503',
    ]) {
      expect(run.stdout).toContain(told);
    }

    // The key is in the config file, the URL and the Authorization header: never in the output.
    expect(run.stdout).not.toContain(API_KEY);
    expect(run.stdout).toContain('api_key=[REDACTED]');
    expect(run.stdout).toContain('"authorization":"[REDACTED]"');

    // Nothing is left listening.
    expect(summary.ports).toHaveLength(2);
    for (const port of summary.ports) expect(await refused(port), `port ${port}`).toBe(true);
  }, 90_000);
});
