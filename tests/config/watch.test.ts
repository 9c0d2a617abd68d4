/**
 * The watcher on real files in temp directories, with real renames and symlinks. File events are
 * real; the debounce and polling run on a FakeClock, so a test waits for the event to arrive
 * (a debounce timer is pending) and then moves time itself: no sleeps, no timing assertions.
 */
import { mkdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigChangeEvent, ConfigError, type ConfigWatcher, watchConfig } from 'bulwark/config';
import { createHealthChecker } from 'bulwark/health';
import { FakeClock } from 'bulwark/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { failOnUnhandledRejections } from '../helpers/no-unhandled-rejections.ts';
import { tempDirs } from './helpers.ts';

failOnUnhandledRejections();
const files = tempDirs();
const schema = z.object({ level: z.enum(['info', 'debug', 'warn']), limit: z.int().positive() });
type Schema = typeof schema;

const open: ConfigWatcher<Schema>[] = [];
afterEach(async () => {
  for (const watcher of open.splice(0)) await watcher.close();
});

/** Waits (really) until `condition` holds: for file events, which arrive on their own time. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function start(file: string, extra: { pollMs?: number; env?: Record<string, string> } = {}) {
  const clock = new FakeClock();
  const watcher = watchConfig({ schema, files: [file], env: extra.env ?? {}, clock, debounceMs: 100, ...extra });
  open.push(watcher);
  const changes: ConfigChangeEvent<Schema>[] = [];
  const errors: ConfigError[] = [];
  watcher.on('change', (e) => changes.push(e));
  watcher.on('error', (e) => errors.push(e));
  /** Waits for the file event, then lets the debounce run out. */
  const settle = async () => {
    await until(() => clock.pendingTimers > 0, 'a file event');
    await clock.advance(100);
  };
  return { clock, watcher, changes, errors, settle };
}

describe('watchConfig', () => {
  it('loads at once and refuses to start on an invalid config', () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { watcher } = start(file);
    expect(watcher.current).toEqual({ level: 'info', limit: 10 });
    expect(watcher.generation).toBe(1);
    const bad = files.write('bad.yaml', 'level: loud\nlimit: 10\n');
    expect(() => watchConfig({ schema, files: [bad], env: {} })).toThrow(ConfigError);
  });

  it('applies an in-place write', async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { watcher, changes, settle } = start(file);
    writeFileSync(file, 'level: debug\nlimit: 10\n');
    await settle();
    expect(watcher.current).toEqual({ level: 'debug', limit: 10 });
    expect(watcher.generation).toBe(2);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.changes).toEqual([{ path: 'level', previous: 'info', current: 'debug' }]);
    expect(changes[0]?.previous).toEqual({ level: 'info', limit: 10 });
  });

  it("applies an editor's write-to-temp-and-rename", async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { watcher, settle } = start(file);
    const temp = files.write('.app.yaml.swp', 'level: warn\nlimit: 20\n');
    renameSync(temp, file);
    await settle();
    expect(watcher.current).toEqual({ level: 'warn', limit: 20 });
  });

  it('refuses a deleted file and applies it when it comes back', async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { watcher, errors, changes, settle } = start(file);
    unlinkSync(file);
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.issues[0]?.message).toBe('config file does not exist');
    expect(watcher.current).toEqual({ level: 'info', limit: 10 });
    writeFileSync(file, 'level: info\nlimit: 11\n');
    await settle();
    expect(changes.map((c) => c.config.limit)).toEqual([11]);
    expect(watcher.lastError).toBeUndefined();
  });

  it("follows a Kubernetes ConfigMap's ..data symlink swap", async () => {
    const dir = files.dir();
    mkdirSync(join(dir, '..2026_11_22_a'));
    writeFileSync(join(dir, '..2026_11_22_a', 'app.yaml'), 'level: info\nlimit: 10\n');
    symlinkSync('..2026_11_22_a', join(dir, '..data'));
    symlinkSync(join('..data', 'app.yaml'), join(dir, 'app.yaml'));
    const { watcher, settle } = start(join(dir, 'app.yaml'));
    mkdirSync(join(dir, '..2026_11_22_b'));
    writeFileSync(join(dir, '..2026_11_22_b', 'app.yaml'), 'level: debug\nlimit: 99\n');
    symlinkSync('..2026_11_22_b', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await settle();
    expect(watcher.current).toEqual({ level: 'debug', limit: 99 });
  });

  it('keeps the last good config through an invalid change, then applies a valid one', async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { watcher, errors, changes, settle } = start(file);
    const check = watcher.healthCheck();
    writeFileSync(file, 'level: info\nlimit: -5\n');
    await settle();
    expect(watcher.current).toEqual({ level: 'info', limit: 10 });
    expect(watcher.generation).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.issues).toEqual([
      { path: 'limit', source: `file ${file}:2`, message: 'Too small: expected number to be >0; got -5' },
    ]);
    expect(await check()).toMatchObject({ status: 'warn', output: errors[0]?.message });
    writeFileSync(file, 'level: info\nlimit: 30\n');
    await settle();
    expect(watcher.current.limit).toBe(30);
    expect(changes).toHaveLength(1);
    expect(await check()).toEqual({ status: 'pass', observedValue: 2, observedUnit: 'generation' });
  });

  it('reads a burst of 200 writes once, after it settles, and the final content wins', async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 1\n');
    const { watcher, changes, errors, clock } = start(file);
    for (let i = 2; i <= 201; i++) writeFileSync(file, `level: info\nlimit: ${i}\n`);
    await until(() => clock.pendingTimers > 0, 'a file event');
    // Let every queued event arrive (each one restarts the debounce), then let it run out.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await clock.advance(100);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await clock.advance(100);
    expect(changes.map((c) => c.config.limit)).toEqual([201]);
    expect(errors).toEqual([]);
    expect(watcher.current.limit).toBe(201);
  });

  it('drops events whose content did not change', async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { watcher, changes, errors, settle } = start(file);
    writeFileSync(file, 'level: info\nlimit: 10\n');
    await settle();
    writeFileSync(file, '# a comment only\nlevel: info\nlimit: 10\n');
    await settle();
    expect(changes).toEqual([]);
    expect(errors).toEqual([]);
    expect(watcher.generation).toBe(1);
  });

  it('ignores unrelated files in the same directory', async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { clock } = start(file);
    files.write('other.txt', 'x');
    files.write('app.yaml.bak', 'x');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(clock.pendingTimers).toBe(0);
  });

  it('follows an include added later', async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { watcher, settle } = start(file);
    const sub = files.dir(); // another directory, which the watcher must start watching
    writeFileSync(join(sub, 'extra.yaml'), 'limit: 50\n');
    writeFileSync(file, `$include: ${join(sub, 'extra.yaml')}\nlevel: info\n`);
    await settle();
    expect(watcher.current.limit).toBe(50);
    writeFileSync(join(sub, 'extra.yaml'), 'limit: 60\n');
    await settle();
    expect(watcher.current.limit).toBe(60);
  });

  it('polls when asked to, on the clock', async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { watcher, clock } = start(file, { pollMs: 1000 });
    writeFileSync(file, 'level: info\nlimit: 12\n');
    await clock.advance(999);
    expect(watcher.current.limit).toBe(10);
    await clock.advance(1 + 100);
    expect(watcher.current.limit).toBe(12);
  });

  it('reload() reads the environment too, and rejects with the ConfigError when invalid', async () => {
    const file = files.write('app.yaml', 'level: info\n');
    const env: Record<string, string> = { APP_LIMIT: '5' };
    const watcher = watchConfig({ schema, files: [file], env, envPrefix: 'APP_', clock: new FakeClock() });
    open.push(watcher);
    env.APP_LIMIT = '6';
    expect(await watcher.reload()).toEqual({
      applied: true,
      generation: 2,
      changes: [{ path: 'limit', previous: 5, current: 6 }],
    });
    expect(await watcher.reload()).toEqual({ applied: false, generation: 2, changes: [] });
    env.APP_LIMIT = 'many';
    await expect(watcher.reload()).rejects.toThrow(ConfigError);
    expect(watcher.current.limit).toBe(6);
    expect(watcher.lastError?.issues[0]?.source).toBe('env APP_LIMIT');
  });

  it('a throwing listener does not stop the swap or other listeners', async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { watcher, changes } = start(file);
    watcher.on('change', () => {
      throw new Error('listener bug');
    });
    writeFileSync(file, 'level: info\nlimit: 11\n');
    await watcher.reload();
    expect(watcher.current.limit).toBe(11);
    expect(changes).toHaveLength(1);
  });

  it('close() stops watching and leaves no timer or watcher behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const { watcher, clock, changes } = start(file);
    writeFileSync(file, 'level: info\nlimit: 11\n');
    await until(() => clock.pendingTimers > 0, 'a file event');
    await watcher.close();
    expect(clock.pendingTimers).toBe(0);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length).toBe(before);
    writeFileSync(file, 'level: info\nlimit: 12\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await clock.runAll();
    expect(changes).toEqual([]);
    await expect(watcher.reload()).rejects.toThrow(/closed/);
  });

  it('healthCheck() plugs into the health checker: warn (non-critical) while the last reload failed', async () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    const clock = new FakeClock();
    const watcher = watchConfig({ schema, files: [file], env: {}, clock, pollMs: 60_000 });
    open.push(watcher);
    const health = createHealthChecker({ clock, intervalMs: 1000, random: () => 0.5 });
    health.register('config', watcher.healthCheck(), { critical: false });
    health.start();
    await clock.advance(1);
    expect(health.status().checks.config?.status).toBe('pass');
    writeFileSync(file, 'level: loud\nlimit: 10\n');
    await watcher.reload().catch(() => {});
    await clock.advance(1100);
    expect(health.status().checks.config).toMatchObject({ status: 'warn' });
    expect(health.status().checks.config?.output).toContain('level');
    expect(health.status().status).toBe('warn');
    writeFileSync(file, 'level: debug\nlimit: 10\n');
    await watcher.reload();
    await clock.advance(1100);
    expect(health.status().status).toBe('pass');
    await health.stop();
  });

  it('refuses bad watch options by name', () => {
    const file = files.write('app.yaml', 'level: info\nlimit: 10\n');
    expect(() => watchConfig({ schema, files: [file], debounceMs: -1 })).toThrow(
      /watchConfig: option "debounceMs" must be a number of milliseconds from 0.*got -1 \(number\)/,
    );
    expect(() => watchConfig({ schema, files: [file], pollMs: 'often' as never })).toThrow(/option "pollMs"/);
    expect(() => watchConfig({ schema, files: [file], clock: {} as never })).toThrow(/option "clock" must be a Clock/);
    expect(() => watchConfig({ schema, files: [file], debounce: 5 } as never)).toThrow(/unknown option "debounce"/);
  });
});
